package dev.portolan.proxy.http1;

import dev.portolan.proxy.http.Handoff;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.IoTransport;
import dev.portolan.proxy.relay.IdleHandler;
import dev.portolan.proxy.route.HttpVersion;
import dev.portolan.proxy.route.MeshTarget;
import dev.portolan.proxy.tls.MeshTls;
import dev.portolan.proxy.tls.MeshUpstream;
import dev.portolan.proxy.transport.TransportHeader.SessionProtocol;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
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
import javax.net.ssl.SSLHandshakeException;
import org.jspecify.annotations.Nullable;

/**
 * HTTP/1 connections to endpoints, kept alive between requests. Each event loop has its own idle
 * pool (a request's upstream lives on its client's loop), so taking and returning a connection
 * needs no lock. An idle connection is read from, so a server that closes it (or sends anything
 * unasked) takes it out of the pool at once; idle ones close after the idle timeout.
 *
 * <p>An endpoint with an identity is dialled over mesh TLS (docs/design/outbound.md): on its own
 * port without ALPN, or through its proxy's inbound port with a transport header naming the port
 * and HTTP/1 as the session protocol. Connections are pooled by endpoint <em>and</em> mesh target,
 * so a connection made for one identity never carries a request meant for another.
 */
public final class Http1Upstreams {
  /** Idle connections kept per endpoint and event loop. */
  static final int MAX_IDLE_PER_ENDPOINT = 64;

  private final Metrics metrics;
  private final Duration connectTimeout;
  private final Duration idleTimeout;
  private final @Nullable MeshTls mesh;
  // Set when the proxy shuts down: a returned connection is closed rather than pooled.
  private volatile boolean draining;
  private final FastThreadLocal<Map<Key, ArrayDeque<Channel>>> idle =
      new FastThreadLocal<>() {
        @Override
        protected Map<Key, ArrayDeque<Channel>> initialValue() {
          return new HashMap<>();
        }
      };

  /** What a pooled connection is for: the endpoint, and how it is secured (null: plaintext). */
  record Key(InetSocketAddress endpoint, @Nullable MeshTarget mesh) {}

  /**
   * @param mesh this proxy's mesh TLS, null when identity is disabled (every dial plaintext)
   */
  public Http1Upstreams(
      Duration connectTimeout, Duration idleTimeout, Metrics metrics, @Nullable MeshTls mesh) {
    this.metrics = metrics;
    this.connectTimeout = connectTimeout;
    this.idleTimeout = idleTimeout;
    this.mesh = mesh;
  }

  /** Plaintext only (identity disabled). */
  public Http1Upstreams(Duration connectTimeout, Duration idleTimeout, Metrics metrics) {
    this(connectTimeout, idleTimeout, metrics, null);
  }

  /** How long a connection may carry nothing before it is closed. */
  Duration idleTimeout() {
    return idleTimeout;
  }

  /** An idle connection to {@code a} secured as {@code target} on the calling loop, or null. */
  @Nullable Channel poll(InetSocketAddress a, @Nullable MeshTarget target) {
    ArrayDeque<Channel> q = idle.get().get(new Key(a, target));
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
  void offer(Channel ch) {
    // Pooled under the key it was dialled for, whatever discovery says about the endpoint now.
    Key key = upstream(ch).key;
    ArrayDeque<Channel> q = idle.get().computeIfAbsent(key, k -> new ArrayDeque<>());
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
    Map<Key, ArrayDeque<Channel>> pool = idle.get();
    for (ArrayDeque<Channel> q : pool.values()) {
      for (Channel ch : List.copyOf(q)) {
        ch.close();
      }
    }
    pool.clear();
  }

  /**
   * Opens a connection to {@code a} on {@code loop}: plaintext when {@code target} is null, else
   * mesh TLS to that target. The future completes once the connection can carry a request (after
   * the handshake and the transport header under mesh TLS); a refused handshake fails it with the
   * reason (the counter and the log line are {@link MeshUpstream}'s).
   */
  ChannelFuture connect(
      EventLoop loop, InetSocketAddress a, @Nullable MeshTarget target, String direction) {
    Key key = new Key(a, target);
    Handoff.opened(
        metrics, direction, a, HttpVersion.HTTP_1, target == null ? null : target.identity());
    InetSocketAddress dialled =
        target == null || !target.opaqueTransport()
            ? a
            : new InetSocketAddress(a.getAddress(), target.transportPort());
    ChannelFuture connected =
        IoTransport.dial(loop, connectTimeout)
            .option(ChannelOption.AUTO_READ, false)
            .connect(
                dialled,
                ch -> {
                  if (target == null) {
                    install(ch, key);
                  }
                  ch.closeFuture()
                      .addListener(f -> {
                        ArrayDeque<Channel> q = idle.get().get(key);
                        if (q != null) {
                          q.remove(ch);
                        }
                      });
                });
    if (target == null) {
      return connected;
    }
    ChannelPromise ready = connected.channel().newPromise();
    connected.addListener(f -> {
      if (!f.isSuccess()) {
        ready.tryFailure(f.cause());
        return;
      }
      Channel ch = connected.channel();
      MeshUpstream.secure(
          ch,
          mesh,
          target,
          a.getPort(),
          SessionProtocol.HTTP1,
          metrics,
          a.getAddress().getHostAddress() + ":" + a.getPort(),
          refusal -> {
            if (refusal == null) {
              install(ch, key); // behind the TLS handlers, before any byte of the server
              ready.trySuccess();
            } else {
              ready.tryFailure(
                  new SSLHandshakeException(
                      "mesh TLS with " + target.identity() + " not established: " + refusal));
            }
          });
    });
    return ready;
  }

  private void install(Channel ch, Key key) {
    ch.pipeline()
        .addLast(new IdleHandler(idleTimeout))
        .addLast("codec", new HttpClientCodec())
        .addLast("upstream", new Upstream(key));
  }

  private static Upstream upstream(Channel ch) {
    return (Upstream) ch.pipeline().get("upstream");
  }

  /** The exchange currently using a connection, or none while it is idle. */
  static void bind(Channel ch, @Nullable Http1Exchange owner) {
    upstream(ch).owner = owner;
  }

  /** Passes responses to the exchange that owns the connection. */
  static final class Upstream extends ChannelInboundHandlerAdapter {
    final Key key;
    @Nullable Http1Exchange owner;

    Upstream(Key key) {
      this.key = key;
    }

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
