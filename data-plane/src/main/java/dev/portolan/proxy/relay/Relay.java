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
import org.jspecify.annotations.Nullable;

/**
 * Copies bytes from this channel to its peer. AUTO_READ is off: the next read is requested as soon
 * as a read has been written on, while the peer's outbound buffer is under its high watermark, and
 * held back while it is over it until the peer drains below the low one: a slow side holds back the
 * fast one and at most a watermark's worth of bytes waits per direction. A half-close (FIN) is
 * passed on as a half-close; the pair closes when both directions are done, on idleness ({@link
 * IdleCheck}), or on any error.
 *
 * <p>Writes carry the peer's void promise: no promise, listener or notification per read, and over
 * TLS none of the promise bookkeeping in the TLS handler's queue either (CPU per request of the
 * mTLS pair, docs/benchmarks.md). A failed write is raised in the peer's pipeline instead, where
 * the relay of the other direction closes the pair.
 */
public final class Relay extends ChannelInboundHandlerAdapter {
  private final Channel self;
  private final Channel peer;
  private final LongAdder bytes;
  private final IdleCheck idle;
  // The relay of the other direction (in the peer's pipeline): it reads from the peer and writes
  // to this channel, so this channel's writability decides when it may read again.
  private @Nullable Relay opposite;
  // No read asked of this channel since the peer went over its high watermark.
  private boolean paused;

  /**
   * @param self the channel whose pipeline this relay is added to
   * @param bytes counts bytes read from this channel and written to the peer
   */
  private Relay(Channel self, Channel peer, LongAdder bytes, IdleCheck idle) {
    this.self = self;
    this.peer = peer;
    this.bytes = bytes;
    this.idle = idle;
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
    Relay ab = new Relay(a, b, aToB, idle);
    Relay ba = new Relay(b, a, bToA, idle);
    ab.opposite = ba;
    ba.opposite = ab;
    a.pipeline().addLast("relay", ab);
    b.pipeline().addLast("relay", ba);
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
    peer.writeAndFlush(msg, peer.voidPromise());
    if (peer.isWritable()) {
      // Asked again within one read loop costs nothing: the channel has one read pending at most.
      self.read();
    } else {
      paused = true;
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Relay o = opposite;
    if (o != null && o.paused && self.isWritable()) {
      o.paused = false;
      if (!(peer instanceof DuplexChannel d && d.isInputShutdown())) {
        peer.read(); // see started(): no read of a side that has sent its FIN
      }
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      // This side sent FIN: pass it on; close once the other direction is finished too.
      if (peer instanceof DuplexChannel d && peer.isActive() && d.isInputShutdown()) {
        // The other direction ended first: nothing is left to half-close. Closing once the
        // pending writes are out sends the FIN all the same (after close_notify under TLS), and
        // spares the shutdownOutput for which Netty builds an exception with its stack trace to
        // fail writes that cannot exist here (~1 % of a proxy's CPU per connection,
        // docs/benchmarks.md).
        ctx.close();
        closeOnFlush(peer);
      } else if (peer instanceof DuplexChannel d && peer.isActive()) {
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
