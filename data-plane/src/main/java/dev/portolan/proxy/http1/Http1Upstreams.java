package dev.portolan.proxy.http1;

import dev.portolan.proxy.http.Handoff;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.IoTransport;
import dev.portolan.proxy.relay.IdleHandler;
import dev.portolan.proxy.route.HttpVersion;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * HTTP/1 connections to endpoints, kept alive between requests. Each event loop has its own idle
 * pool (a request's upstream lives on its client's loop), so taking and returning a connection
 * needs no lock. An idle connection is read from, so a server that closes it (or sends anything
 * unasked) takes it out of the pool at once; idle ones close after the idle timeout.
 */
public final class Http1Upstreams {
  /** Idle connections kept per endpoint and event loop. */
  static final int MAX_IDLE_PER_ENDPOINT = 64;

  private final Metrics metrics;
  private final Duration connectTimeout;
  private final Duration idleTimeout;
  // Set when the proxy shuts down: a returned connection is closed rather than pooled.
  private volatile boolean draining;
  private final FastThreadLocal<Map<InetSocketAddress, ArrayDeque<Channel>>> idle =
      new FastThreadLocal<>() {
        @Override
        protected Map<InetSocketAddress, ArrayDeque<Channel>> initialValue() {
          return new HashMap<>();
        }
      };

  public Http1Upstreams(Duration connectTimeout, Duration idleTimeout, Metrics metrics) {
    this.metrics = metrics;
    this.connectTimeout = connectTimeout;
    this.idleTimeout = idleTimeout;
  }

  /** How long a connection may carry nothing before it is closed. */
  Duration idleTimeout() {
    return idleTimeout;
  }

  /** An idle connection to {@code a} on the calling event loop, or null. */
  @Nullable Channel poll(InetSocketAddress a) {
    ArrayDeque<Channel> q = idle.get().get(a);
    if (q == null) {
      return null;
    }
    for (Channel ch; (ch = q.pollLast()) != null; ) {
      if (ch.isActive()) {
        return ch;
      }
    }
    return null;
  }

  /** Returns a connection whose exchange finished cleanly; closes it when the pool is full. */
  void offer(InetSocketAddress a, Channel ch) {
    ArrayDeque<Channel> q = idle.get().computeIfAbsent(a, k -> new ArrayDeque<>());
    if (q.size() >= MAX_IDLE_PER_ENDPOINT || !ch.isActive() || draining) {
      ch.close();
      return;
    }
    q.addLast(ch);
    ch.read(); // notice a close (or unasked bytes) while idle
  }

  /**
   * The proxy shuts down: closes the calling event loop's idle connections; from now on every
   * connection is closed when its exchange is over. Call on each event loop.
   */
  public void drain() {
    draining = true;
    Map<InetSocketAddress, ArrayDeque<Channel>> pool = idle.get();
    for (ArrayDeque<Channel> q : pool.values()) {
      for (Channel ch : List.copyOf(q)) {
        ch.close();
      }
    }
    pool.clear();
  }

  /** Opens a connection to {@code a} on {@code loop}. */
  ChannelFuture connect(EventLoop loop, InetSocketAddress a, String direction) {
    Handoff.opened(metrics, direction, a, HttpVersion.HTTP_1);
    return IoTransport.dial(loop, connectTimeout)
        .option(ChannelOption.AUTO_READ, false)
        .connect(
            a,
            ch -> {
              ch.pipeline()
                  .addLast(new IdleHandler(idleTimeout))
                  .addLast("codec", new HttpClientCodec())
                  .addLast("upstream", new Upstream());
              ch.closeFuture()
                  .addListener(f -> {
                    ArrayDeque<Channel> q = idle.get().get(a);
                    if (q != null) {
                      q.remove(ch);
                    }
                  });
            });
  }

  /** The exchange currently using a connection, or none while it is idle. */
  static void bind(Channel ch, @Nullable Http1Exchange owner) {
    ((Upstream) ch.pipeline().get("upstream")).owner = owner;
  }

  /** Passes responses to the exchange that owns the connection. */
  static final class Upstream extends ChannelInboundHandlerAdapter {
    @Nullable Http1Exchange owner;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (owner == null) {
        ReferenceCountUtil.release(msg);
        ctx.close(); // bytes nobody asked for: this connection cannot be reused
        return;
      }
      owner.fromUpstream(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (owner != null) {
        owner.readComplete();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (owner != null) {
        owner.upstreamClosed();
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof io.netty.handler.timeout.IdleStateEvent) {
        ctx.close();
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
