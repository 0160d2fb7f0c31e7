package dev.portolan.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The relayed pair's own idle check, on virtual time. */
class RelayIdleTest {
  private final EmbeddedChannel client =
      new EmbeddedChannel(new IdleStateHandler(0, 0, 600, TimeUnit.SECONDS));
  private final EmbeddedChannel upstream =
      new EmbeddedChannel(new IdleHandler(Duration.ofSeconds(600)));
  private final LongAdder toUpstream = new LongAdder();

  @BeforeEach
  void join() {
    client.freezeTime();
    Relay.join(client, upstream, toUpstream, new LongAdder(), Duration.ofSeconds(4));
  }

  @AfterEach
  void release() {
    client.finishAndReleaseAll();
    upstream.finishAndReleaseAll();
  }

  @Test
  void the_pair_closes_after_one_to_one_and_a_quarter_timeouts_of_silence() {
    send("PING\r\n");
    advance(3_900);
    assertThat(client.isOpen()).isTrue();
    assertThat(upstream.isOpen()).isTrue();
    advance(1_100);
    assertThat(client.isOpen()).isFalse();
    assertThat(upstream.isOpen()).isFalse();
  }

  @Test
  void traffic_keeps_the_pair_open_and_reaches_the_peer() {
    for (int i = 0; i < 30; i++) {
      send("PING\r\n");
      advance(900);
    }
    assertThat(client.isOpen()).isTrue();
    assertThat(upstream.isOpen()).isTrue();
    assertThat(toUpstream.sum()).isEqualTo(30 * 6);
    ByteBuf first = upstream.readOutbound();
    assertThat(first.toString(StandardCharsets.US_ASCII)).isEqualTo("PING\r\n");
    first.release();
  }

  @Test
  void the_per_channel_idle_handler_gives_way_to_the_pair_check() {
    assertThat(client.pipeline().get(IdleStateHandler.class)).isNull();
    assertThat(upstream.pipeline().get(IdleHandler.class)).isNull();
    assertThat(client.pipeline().get("relay")).isInstanceOf(Relay.class);
    assertThat(upstream.pipeline().get("relay")).isInstanceOf(Relay.class);
  }

  private void send(String s) {
    client.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
  }

  private void advance(long millis) {
    for (long t = 0; t < millis; t += 100) {
      client.advanceTimeBy(100, TimeUnit.MILLISECONDS);
      client.runScheduledPendingTasks();
    }
  }
}
