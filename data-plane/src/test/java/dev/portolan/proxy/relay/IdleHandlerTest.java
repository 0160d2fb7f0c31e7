package dev.portolan.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pipeline's coarse idle timeout, on virtual time. */
class IdleHandlerTest {
  private final List<Object> events = new ArrayList<>();
  private final EmbeddedChannel ch =
      new EmbeddedChannel(
          new IdleHandler(Duration.ofSeconds(4)),
          new ChannelInboundHandlerAdapter() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
              events.add(evt);
            }
          });

  {
    ch.freezeTime();
  }

  @AfterEach
  void release() {
    ch.finishAndReleaseAll();
  }

  @Test
  void silence_fires_the_all_idle_event_once_between_one_and_one_and_a_quarter_timeouts() {
    advance(3_900);
    assertThat(events).isEmpty();
    advance(1_100);
    assertThat(events).containsExactly(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    advance(20_000);
    assertThat(events).hasSize(1); // the handlers close the connection; no second event
  }

  @Test
  void reads_keep_the_connection_from_going_idle() {
    for (int i = 0; i < 30; i++) {
      ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1}));
      advance(900);
    }
    assertThat(events).isEmpty();
    assertThat(ch.inboundMessages()).hasSize(30); // passed on
  }

  @Test
  void writes_keep_the_connection_from_going_idle() {
    for (int i = 0; i < 30; i++) {
      ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {1}));
      advance(900);
    }
    assertThat(events).isEmpty();
    assertThat(ch.outboundMessages()).hasSize(30);
    advance(5_000);
    assertThat(events).containsExactly(IdleStateEvent.ALL_IDLE_STATE_EVENT);
  }

  @Test
  void a_removed_handler_leaves_no_timer_that_fires() {
    IdleHandler.removeFrom(ch);
    assertThat(ch.pipeline().get(IdleHandler.class)).isNull();
    advance(20_000);
    assertThat(events).isEmpty();
  }

  private void advance(long millis) {
    for (long t = 0; t < millis; t += 100) {
      ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
      ch.runScheduledPendingTasks();
    }
  }
}
