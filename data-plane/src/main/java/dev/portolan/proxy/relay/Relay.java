package dev.portolan.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Copies bytes from this channel to its peer. AUTO_READ is off: the next read is requested only
 * when the previous write has completed, so a slow side holds back the fast one and no buffer
 * grows. A half-close (FIN) is passed on as a half-close; the pair closes when both directions are
 * done, on idleness ({@link IdleCheck}), or on any error.
 */
public final class Relay extends ChannelInboundHandlerAdapter {
  private final Channel self;
  private final Channel peer;
  private final LongAdder bytes;
  private final IdleCheck idle;
  // One listener for every write of this direction (not one per message): the next read is asked
  // for when the previous write completed.
  private final ChannelFutureListener written;

  /**
   * @param self the channel whose pipeline this relay is added to
   * @param bytes counts bytes read from this channel and written to the peer
   */
  private Relay(Channel self, Channel peer, LongAdder bytes, IdleCheck idle) {
    this.self = self;
    this.peer = peer;
    this.bytes = bytes;
    this.idle = idle;
    this.written =
        f -> {
          if (f.isSuccess()) {
            idle.active = true;
            self.read();
          } else {
            closeBoth(self);
          }
        };
  }

  /**
   * Installs relays both ways and starts reading on both channels (on one event loop). Any {@link
   * IdleHandler} or {@link IdleStateHandler} left in either pipeline is removed: the pair has one
   * idle check of its own.
   *
   * @param idleTimeout the pair closes once neither side has moved a byte for this long
   */
  public static void join(
      Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout) {
    for (Channel ch : List.of(a, b)) {
      IdleHandler.removeFrom(ch);
      while (ch.pipeline().get(IdleStateHandler.class) != null) {
        ch.pipeline().remove(IdleStateHandler.class);
      }
    }
    IdleCheck idle = IdleCheck.start(a, b, idleTimeout);
    a.pipeline().addLast("relay", new Relay(a, b, aToB, idle));
    b.pipeline().addLast("relay", new Relay(b, a, bToA, idle));
    started(a);
    started(b);
  }

  /**
   * Reads, or passes on a FIN reported before the relay was there (a client that half-closed during
   * detection): no read may be asked of that side, as Netty has taken its socket out of the epoll
   * set and the read would fail and close the pair.
   */
  private static void started(Channel ch) {
    if (ch instanceof DuplexChannel d && d.isInputShutdown()) {
      ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    } else {
      ch.read();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    idle.active = true;
    if (msg instanceof ByteBuf buf) {
      bytes.add(buf.readableBytes());
    }
    peer.writeAndFlush(msg).addListener(written);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      // This side sent FIN: pass it on; close once the other direction is finished too.
      if (peer instanceof DuplexChannel d && peer.isActive()) {
        d.shutdownOutput()
            .addListener(
                (ChannelFutureListener)
                    f -> {
                      if (!f.isSuccess() || d.isInputShutdown()) {
                        closeBoth(ctx.channel());
                      }
                    });
      } else {
        closeBoth(ctx.channel());
      }
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closeOnFlush(peer);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    closeBoth(ctx.channel());
  }

  private void closeBoth(Channel self) {
    self.close();
    peer.close();
  }

  /** Closes after pending writes are flushed. */
  static void closeOnFlush(Channel ch) {
    if (ch.isActive()) {
      ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
