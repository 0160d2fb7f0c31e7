package dev.portolan.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The codec's buffers on the heap; what the socket reads into and the batches, direct. */
class FrameBuffersTest {
  private final ByteBufAllocator alloc = FrameBuffers.INSTANCE;

  @Test
  void framesBeingEncodedAreHeapBuffers() {
    List<ByteBuf> bufs = List.of(alloc.buffer(), alloc.buffer(9), alloc.buffer(16, 64));
    for (ByteBuf b : bufs) {
      assertThat(b.isDirect()).isFalse();
      assertThat(b.hasArray()).isTrue();
      b.release();
    }
    ByteBuf composite = alloc.compositeBuffer();
    assertThat(composite.isDirect()).isFalse();
    composite.release();
  }

  @Test
  void aHeaderBlockStartsSmallAndGrows() {
    ByteBuf b = alloc.buffer();
    assertThat(b.capacity()).isEqualTo(FrameBuffers.HEADER_BLOCK);
    b.writeBytes(new byte[1000]); // a first request's literal headers, say
    assertThat(b.readableBytes()).isEqualTo(1000);
    assertThat(b.isDirect()).isFalse();
    b.release();
  }

  @Test
  void readsAndBatchesAreDirectBuffers() {
    List<ByteBuf> bufs = List.of(alloc.ioBuffer(), alloc.ioBuffer(2048), alloc.directBuffer(4096));
    for (ByteBuf b : bufs) {
      assertThat(b.isDirect()).isTrue();
      b.release();
    }
  }

  @Test
  void capacityAndLimitsAreKept() {
    ByteBuf b = alloc.buffer(8, 32);
    assertThat(b.capacity()).isEqualTo(8);
    assertThat(b.maxCapacity()).isEqualTo(32);
    b.writeBytes(new byte[20]);
    assertThat(b.capacity()).isBetween(20, 32);
    b.release();
  }
}
