package dev.portolan.proxy.http2;

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
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.jspecify.annotations.Nullable;

/**
 * HTTP/2 (prior knowledge) connections to endpoints: one per endpoint and event loop, carrying
 * every stream the loop's clients send there. A connection that received GOAWAY, closed or failed
 * to connect is replaced on the next request. Streams beyond the server's concurrency limit wait in
 * the connection's buffering encoder rather than fail.
 *
 * <p>An endpoint with an identity is dialled over mesh TLS (docs/design/outbound.md): on its own
 * port without ALPN, or through its proxy's inbound port with a transport header naming the port
 * and HTTP/2 as the session protocol. The HTTP/2 preface goes out only once the connection is
 * secured. Connections are kept per endpoint <em>and</em> mesh target.
 */
public final class Http2Upstreams {
  private final Metrics metrics;
  private final Duration connectTimeout;
  private final Duration idleTimeout;
  private final @Nullable MeshTls mesh;
  private final FastThreadLocal<Map<Key, Http2Upstream>> connections =
      new FastThreadLocal<>() {
        @Override
        protected Map<Key, Http2Upstream> initialValue() {
          return new HashMap<>();
        }
      };

  /** What a connection is for: the endpoint, and how it is secured (null: plaintext). */
  private record Key(InetSocketAddress endpoint, @Nullable MeshTarget mesh) {}

  /**
   * @param mesh this proxy's mesh TLS, null when identity is disabled (every dial plaintext)
   */
  public Http2Upstreams(
      Duration connectTimeout, Duration idleTimeout, Metrics metrics, @Nullable MeshTls mesh) {
    this.metrics = metrics;
    this.connectTimeout = connectTimeout;
    this.idleTimeout = idleTimeout;
    this.mesh = mesh;
  }

  /** Plaintext only (identity disabled). */
  public Http2Upstreams(Duration connectTimeout, Duration idleTimeout, Metrics metrics) {
    this(connectTimeout, idleTimeout, metrics, null);
  }

  /**
   * The loop's connection to {@code a} secured as {@code target} (null: plaintext), perhaps still
   * connecting (see {@link Http2Upstream#connect}). Call on {@code loop}.
   */
  Http2Upstream get(
      EventLoop loop, InetSocketAddress a, @Nullable MeshTarget target, String direction) {
    Map<Key, Http2Upstream> byKey = connections.get();
    Key key = new Key(a, target);
    Http2Upstream c = byKey.get(key);
    if (c == null || !c.usable()) {
      c = connect(loop, key, byKey);
      Handoff.opened(
          metrics, direction, a, HttpVersion.HTTP_2, target == null ? null : target.identity());
      byKey.put(key, c);
    }
    return c;
  }

  /**
   * The proxy shuts down: each of the calling event loop's connections stops taking streams, sends
   * GOAWAY and closes once its streams are done, within {@code grace}. Call on each event loop.
   */
  public void drain(Duration grace) {
    for (Http2Upstream c : List.copyOf(connections.get().values())) {
      c.drain(grace);
    }
  }

  private Http2Upstream connect(EventLoop loop, Key key, Map<Key, Http2Upstream> byKey) {
    Http2Upstream[] self = new Http2Upstream[1];
    Http2Upstream h = Http2Upstream.create(() -> byKey.remove(key, self[0]));
    self[0] = h;
    InetSocketAddress a = key.endpoint();
    MeshTarget target = key.mesh();
    InetSocketAddress dialled =
        target == null || !target.opaqueTransport()
            ? a
            : new InetSocketAddress(a.getAddress(), target.transportPort());
    ChannelFuture connected =
        IoTransport.dial(loop, connectTimeout)
            .connect(
                dialled,
                ch -> {
                  ch.config().setAllocator(FrameBuffers.INSTANCE);
                  if (target == null) {
                    install(ch, h);
                  }
                });
    ChannelFuture ready = target == null ? connected : secured(connected, a, target, h);
    h.connect = ready;
    ready.addListener(f -> {
      if (!f.isSuccess()) {
        byKey.remove(key, h);
      }
    });
    return h;
  }

  /** Mesh TLS on {@code connected}; the HTTP/2 handler (and its preface) only after it. */
  private ChannelFuture secured(
      ChannelFuture connected, InetSocketAddress a, MeshTarget target, Http2Upstream h) {
    Channel ch = connected.channel();
    ChannelPromise ready = ch.newPromise();
    connected.addListener(f -> {
      if (!f.isSuccess()) {
        ready.tryFailure(f.cause());
        return;
      }
      MeshUpstream.secure(
          ch,
          mesh,
          target,
          a.getPort(),
          SessionProtocol.HTTP2,
          metrics,
          a.getAddress().getHostAddress() + ":" + a.getPort(),
          refusal -> {
            if (refusal == null) {
              install(ch, h);
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

  private void install(Channel ch, Http2Upstream h) {
    ch.pipeline().addLast(new IdleHandler(idleTimeout)).addLast(new WriteBatch()).addLast(h);
  }
}
