package dev.portolan.proxy.http2;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The small writes between two flushes go out as one buffer, in order, and nothing is lost. */
class WriteBatchTest {
  private final EmbeddedChannel ch = new EmbeddedChannel(new WriteBatch());

  private static ByteBuf buf(String s) {
    return Unpooled.directBuffer().writeBytes(s.getBytes(US_ASCII));
  }

  /** Writes {@code parts} buffers "p0;", "p1;" ... to {@code to}; returns their futures. */
  private static List<ChannelFuture> writeParts(EmbeddedChannel to, int parts) {
    List<ChannelFuture> futures = new ArrayList<>();
    for (int i = 0; i < parts; i++) {
      futures.add(to.write(buf("p" + i + ";")));
    }
    return futures;
  }

  private static String parts(int from, int to) {
    StringBuilder s = new StringBuilder();
    for (int i = from; i < to; i++) {
      s.append('p').append(i).append(';');
    }
    return s.toString();
  }

  private List<String> flushed() {
    List<String> out = new ArrayList<>();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      out.add(b.toString(US_ASCII));
      b.release();
    }
    return out;
  }

  @Test
  void smallWritesBetweenFlushesLeaveAsOneBufferAndCompleteTheirPromises() {
    ByteBuf first = buf("HEADERS;");
    ChannelFuture f0 = ch.write(first);
    List<ChannelFuture> rest = writeParts(ch, WriteBatch.HELD + 2);
    assertThat(ch.outboundMessages()).isEmpty();
    assertThat(first.refCnt()).isZero(); // copied, and its own buffer given back at once
    assertThat(f0.isDone()).isFalse();

    ch.flush();

    assertThat(flushed()).containsExactly("HEADERS;" + parts(0, WriteBatch.HELD + 2));
    assertThat(f0.isSuccess()).isTrue();
    assertThat(rest).allMatch(ChannelFuture::isSuccess);
  }

  @Test
  void heapFramesAndSlicesOfThemAreCopiedFromWhereTheirBytesStart() {
    // As the HTTP/2 frame writer makes them (FrameBuffers): a heap buffer read from part-way, and
    // a retained slice of a header block that starts inside a larger array.
    ByteBuf header = Unpooled.buffer(16).writeBytes("xxHEAD;".getBytes(US_ASCII));
    header.skipBytes(2);
    ByteBuf block = Unpooled.buffer(32).writeBytes("..BLOCK;rest".getBytes(US_ASCII));
    ByteBuf fragment = block.skipBytes(2).readRetainedSlice(6);
    block.release();
    List<ChannelFuture> writes = new ArrayList<>();
    writes.add(ch.write(header));
    writes.add(ch.write(fragment));
    writes.addAll(writeParts(ch, WriteBatch.HELD));

    ch.flush();

    assertThat(flushed()).containsExactly("HEAD;BLOCK;" + parts(0, WriteBatch.HELD));
    assertThat(writes).allMatch(ChannelFuture::isSuccess);
    assertThat(block.refCnt()).isZero();
  }

  @Test
  void aFewBuffersGoOnUncopied() {
    List<ByteBuf> few = new ArrayList<>();
    for (int i = 0; i < WriteBatch.HELD; i++) {
      few.add(buf("part" + i));
      ch.write(few.get(i));
    }
    ch.flush();
    for (ByteBuf b : few) {
      ByteBuf out = ch.readOutbound();
      assertThat(out).isSameAs(b);
      out.release();
    }
    assertThat(ch.outboundMessages()).isEmpty();
  }

  @Test
  void aLargeWriteKeepsItsPlaceBetweenBatches() {
    String large = "x".repeat(WriteBatch.SMALL + 1);
    int n = WriteBatch.HELD + 1;
    writeParts(ch, n);
    ch.write(buf(large));
    ch.write(buf("tail"));
    ch.flush();
    assertThat(flushed()).containsExactly(parts(0, n), large, "tail");
  }

  @Test
  void aBatchHoldsAtMostItsCapacity() {
    String part = "y".repeat(WriteBatch.SMALL);
    int parts = WriteBatch.CAPACITY / WriteBatch.SMALL + 1;
    for (int i = 0; i < parts; i++) {
      ch.write(buf(part));
    }
    ch.flush();
    List<String> out = flushed();
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).hasSize(WriteBatch.CAPACITY);
    assertThat(String.join("", out)).isEqualTo(part.repeat(parts));
  }

  @Test
  void writesNeverFlushedFailAndAreReleasedWhenTheChannelCloses() {
    ByteBuf a = buf("a");
    ChannelFuture fa = ch.write(a);
    List<ChannelFuture> batched = writeParts(ch, WriteBatch.HELD + 1);
    ch.close();
    assertThat(fa.isDone() && !fa.isSuccess()).isTrue();
    assertThat(batched).allMatch(f -> f.isDone() && !f.isSuccess());
    assertThat(a.refCnt()).isZero();
    assertThat(ch.outboundMessages()).isEmpty();
  }

  @Test
  void heldAndBatchedWritesAreReleasedWhenTheHandlerGoes() {
    ByteBuf a = buf("a");
    ChannelFuture fa = ch.write(a);
    ch.pipeline().removeFirst();
    assertThat(fa.isDone() && !fa.isSuccess()).isTrue();
    assertThat(a.refCnt()).isZero();

    EmbeddedChannel other = new EmbeddedChannel(new WriteBatch());
    List<ChannelFuture> batched = writeParts(other, WriteBatch.HELD + 2);
    other.pipeline().removeFirst();
    assertThat(batched).allMatch(f -> f.isDone() && !f.isSuccess());
    assertThat(other.outboundMessages()).isEmpty();
  }

  @Test
  void aFailedBatchFailsThePromiseOfEachPart() {
    IOException broken = new IOException("broken pipe");
    EmbeddedChannel failing =
        new EmbeddedChannel(
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ReferenceCountUtil.release(msg);
                promise.setFailure(broken);
              }
            },
            new WriteBatch());
    List<ChannelFuture> futures = writeParts(failing, WriteBatch.HELD + 2);
    failing.flush();
    assertThat(futures).allMatch(f -> f.cause() == broken);
    failing.finishAndReleaseAll();
  }

  @Test
  void aWriteMadeWhileTheHeldOnesGoOnWaitsForTheNextFlush() {
    // A write that fails at once can make the codec write again (a reset) from its listener,
    // while the held writes are being passed on: it must neither be lost nor overtake them.
    List<String> seen = new ArrayList<>();
    EmbeddedChannel ch2 =
        new EmbeddedChannel(
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                String s = ((ByteBuf) msg).toString(US_ASCII);
                seen.add(s);
                ReferenceCountUtil.release(msg);
                if (s.startsWith("p")) {
                  promise.setFailure(new IOException("refused"));
                } else {
                  promise.setSuccess();
                }
              }
            },
            new WriteBatch());
    for (ChannelFuture f : writeParts(ch2, WriteBatch.HELD)) {
      f.addListener(done -> ch2.write(buf("reset")));
    }
    ch2.flush();
    assertThat(seen).hasSize(WriteBatch.HELD);
    ch2.flush();
    assertThat(seen).hasSize(2 * WriteBatch.HELD);
    assertThat(seen.subList(0, WriteBatch.HELD))
        .containsExactly(parts(0, WriteBatch.HELD).split("(?<=;)"));
    assertThat(seen.subList(WriteBatch.HELD, seen.size())).containsOnly("reset");
    ch2.finishAndReleaseAll();
  }
}
