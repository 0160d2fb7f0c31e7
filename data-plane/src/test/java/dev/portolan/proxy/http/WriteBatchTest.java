package dev.portolan.proxy.http;

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
    ByteBuf a = buf("HEADERS;");
    ByteBuf b = buf("DATA-HEAD;");
    ByteBuf c = buf("hello");
    ChannelFuture fa = ch.write(a);
    ChannelFuture fb = ch.write(b);
    ChannelFuture fc = ch.write(c);
    assertThat(ch.outboundMessages()).isEmpty();
    assertThat(a.refCnt()).isZero(); // copied, and its own buffer given back at once
    assertThat(fa.isDone()).isFalse();

    ch.flush();

    assertThat(flushed()).containsExactly("HEADERS;DATA-HEAD;hello");
    assertThat(List.of(fa, fb, fc)).allMatch(ChannelFuture::isSuccess);
  }

  @Test
  void aBufferAloneGoesOnUncopied() {
    ByteBuf a = buf("PING");
    ChannelFuture f = ch.writeAndFlush(a);
    ByteBuf out = ch.readOutbound();
    assertThat(out).isSameAs(a);
    assertThat(f.isSuccess()).isTrue();
    out.release();
  }

  @Test
  void aLargeWriteKeepsItsPlaceBetweenBatches() {
    String large = "x".repeat(WriteBatch.SMALL + 1);
    ch.write(buf("one;"));
    ch.write(buf("two;"));
    ch.write(buf(large));
    ch.write(buf("three;"));
    ch.write(buf("four"));
    ch.flush();
    assertThat(flushed()).containsExactly("one;two;", large, "three;four");
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
    ByteBuf b = buf("b");
    ChannelFuture fa = ch.write(a);
    ChannelFuture fb = ch.write(b);
    ch.close();
    assertThat(fa.isDone() && !fa.isSuccess()).isTrue();
    assertThat(fb.isDone() && !fb.isSuccess()).isTrue();
    assertThat(a.refCnt()).isZero();
    assertThat(b.refCnt()).isZero();
    assertThat(ch.outboundMessages()).isEmpty();
  }

  @Test
  void aLoneWriteNeverFlushedIsReleasedWhenTheHandlerGoes() {
    ByteBuf a = buf("a");
    ChannelFuture fa = ch.write(a);
    ch.pipeline().removeFirst();
    assertThat(fa.isDone() && !fa.isSuccess()).isTrue();
    assertThat(a.refCnt()).isZero();
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
    ChannelFuture fa = failing.write(buf("a"));
    ChannelFuture fb = failing.write(buf("b"));
    ChannelFuture fc = failing.write(buf("c"));
    failing.flush();
    assertThat(List.of(fa, fb, fc)).allMatch(f -> f.cause() == broken);
    failing.finishAndReleaseAll();
  }
}
