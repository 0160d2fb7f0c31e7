package dev.portolan.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a native relay ({@link UringRelay}, {@link EpollRelay}) takes two connected channels away
 * from Netty and gives them back. Both are deregistered from their loop (not closed), so their
 * sockets stay open for the relay's own I/O; when the relay is done each channel is registered
 * again and closed there, so its close listeners (metrics, the balancer) run as for any connection.
 */
final class Takeover {
  private static final Logger log = LoggerFactory.getLogger(Takeover.class);

  private Takeover() {}

  /**
   * Deregisters {@code a} and {@code b}, then calls {@code relay} with the bytes Netty still
   * delivered from each meanwhile (empty buffers mostly; the relay owns and sends them first). If
   * either cannot be deregistered both are closed and {@code relay} is not called.
   */
  static void of(Channel a, Channel b, BiConsumer<ByteBuf, ByteBuf> relay) {
    IdleHandler.removeFrom(a); // the relay has an idle check of its own
    IdleHandler.removeFrom(b);
    Stragglers fromA = Stragglers.on(a);
    Stragglers fromB = Stragglers.on(b);
    a.deregister()
        .addListener(da ->
            b.deregister()
                .addListener(db -> {
                  ByteBuf earlyA = fromA.take(a);
                  ByteBuf earlyB = fromB.take(b);
                  if (!da.isSuccess() || !db.isSuccess()) {
                    log.debug("relay: could not take over {} and {}", a, b);
                    earlyA.release();
                    earlyB.release();
                    handBack(a);
                    handBack(b);
                    return;
                  }
                  relay.accept(earlyA, earlyB);
                }));
  }

  /** Registers the channel with its loop again and closes it there (its listeners run). */
  @SuppressWarnings("deprecation")
  static void handBack(Channel ch) {
    if (ch.isRegistered()) {
      ch.close();
    } else {
      ch.eventLoop().register(ch).addListener(f -> ch.close());
    }
  }

  /**
   * Bytes Netty still delivers while a channel is being taken over: a read it started on its own
   * (it reads at once when the peer half-closes, AUTO_READ or not) can complete during the
   * deregistration. They are relayed first.
   */
  private static final class Stragglers extends ChannelInboundHandlerAdapter {
    private ByteBuf bytes = Unpooled.EMPTY_BUFFER;

    static Stragglers on(Channel ch) {
      Stragglers s = new Stragglers();
      ch.pipeline().addLast("relay-stragglers", s);
      return s;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf in) {
        if (bytes == Unpooled.EMPTY_BUFFER) {
          bytes = ctx.alloc().buffer(in.readableBytes());
        }
        bytes.writeBytes(in);
      }
      ReferenceCountUtil.release(msg);
    }

    ByteBuf take(Channel ch) {
      if (ch.pipeline().context(this) != null) {
        ch.pipeline().remove(this);
      }
      return bytes;
    }
  }
}
