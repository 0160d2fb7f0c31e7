package dev.portolan.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pipeline relay reads on while the peer takes the bytes, stops while the peer's outbound
 * buffer is over its high watermark, and closes the pair when a write fails (its writes carry no
 * promise of their own).
 */
class RelayBackpressureTest {
  /** Counts the reads the relay asks of the channel. */
  private static final class Reads extends ChannelOutboundHandlerAdapter {
    int asked;

    @Override
    public void read(ChannelHandlerContext ctx) {
      asked++;
      ctx.read();
    }
  }

  private final Reads reads = new Reads();
  private final EmbeddedChannel client = new EmbeddedChannel(reads);
  private final EmbeddedChannel upstream = new EmbeddedChannel();

  @AfterEach
  void release() {
    client.finishAndReleaseAll();
    upstream.finishAndReleaseAll();
  }

  @Test
  void a_peer_over_its_watermark_holds_back_reads_until_it_drains() {
    join();
    int atJoin = reads.asked; // the embedded channel's own read at registration, and the join's
    send("SET a 1\r\n");
    assertThat(reads.asked).as("read on at once while the peer is writable").isEqualTo(atJoin + 1);

    writable(false);
    send("SET b 2\r\n");
    assertThat(reads.asked).as("no read while the peer cannot take more").isEqualTo(atJoin + 1);
    assertThat(received()).isEqualTo("SET a 1\r\nSET b 2\r\n");

    writable(true);
    assertThat(reads.asked).as("reading resumes once the peer drained").isEqualTo(atJoin + 2);
    writable(false);
    writable(true);
    assertThat(reads.asked)
        .as("no read asked for a direction that was not held back")
        .isEqualTo(atJoin + 2);
  }

  @Test
  void a_failed_write_closes_both_sides() {
    upstream
        .pipeline()
        .addFirst(
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                io.netty.util.ReferenceCountUtil.release(msg);
                promise.setFailure(new IOException("broken pipe"));
              }
            });
    join();
    send("GET a\r\n");
    assertThat(client.isOpen()).isFalse();
    assertThat(upstream.isOpen()).isFalse();
  }

  private void join() {
    // As the proxy's channels: every read is asked for.
    client.config().setAutoRead(false);
    upstream.config().setAutoRead(false);
    Relay.join(client, upstream, new LongAdder(), new LongAdder(), Duration.ofSeconds(60));
  }

  /** As the peer's outbound buffer crossing its high or low watermark (the event comes later). */
  private void writable(boolean writable) {
    upstream.unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
    upstream.runPendingTasks();
    assertThat(upstream.isWritable()).isEqualTo(writable);
  }

  private void send(String s) {
    client.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
    client.runPendingTasks();
    upstream.runPendingTasks();
  }

  private String received() {
    StringBuilder b = new StringBuilder();
    for (ByteBuf m; (m = upstream.readOutbound()) != null; ) {
      b.append(m.toString(StandardCharsets.US_ASCII));
      m.release();
    }
    return b.toString();
  }
}
