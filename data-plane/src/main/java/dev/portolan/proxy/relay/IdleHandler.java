package dev.portolan.proxy.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The idle timeout of a connection that stays in Netty's pipeline (detection, HTTP): once nothing
 * has been read from it or written to it for the timeout, an {@link
 * IdleStateEvent#ALL_IDLE_STATE_EVENT} goes down the pipeline and the handlers there close the
 * connection. The same coarse check as a relayed pair ({@link IdleCheck}): each read and each write
 * sets a flag, a timer clears it four times per timeout, and the event fires between 1 and 1.25
 * times the timeout after the last activity.
 *
 * <p>In place of Netty's {@code IdleStateHandler}, which adds a listener to every write (a promise
 * notification and two clock reads per message, and HTTP/2 writes several per request) and reads
 * the clock after every read.
 */
public final class IdleHandler extends ChannelDuplexHandler {
  private final Duration timeout;
  // Null until the channel is registered (and for good with a non-positive timeout).
  private @Nullable IdleCheck check;

  public IdleHandler(Duration timeout) {
    this.timeout = timeout;
  }

  /** Removes the handler from {@code ch}'s pipeline, if there, and stops its timer. */
  static void removeFrom(Channel ch) {
    if (ch.pipeline().get(IdleHandler.class) != null) {
      ch.pipeline().remove(IdleHandler.class);
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isRegistered()) {
      start(ctx);
    }
  }

  @Override
  public void channelRegistered(ChannelHandlerContext ctx) {
    start(ctx);
    ctx.fireChannelRegistered();
  }

  private void start(ChannelHandlerContext ctx) {
    if (check == null && timeout.isPositive()) {
      check =
          IdleCheck.start(
              ctx.channel(),
              timeout,
              () -> ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT));
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (check != null) {
      check.stop();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (check != null) {
      check.active = true;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (check != null) {
      check.active = true;
    }
    ctx.write(msg, promise);
  }
}
