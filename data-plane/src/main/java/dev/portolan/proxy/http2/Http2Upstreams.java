package dev.portolan.proxy.http2;

import dev.portolan.proxy.http.Handoff;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.IoTransport;
import dev.portolan.proxy.relay.IdleHandler;
import dev.portolan.proxy.route.HttpVersion;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * HTTP/2 (prior knowledge) connections to endpoints: one per endpoint and event loop, carrying
 * every stream the loop's clients send there. A connection that received GOAWAY, closed or failed
 * to connect is replaced on the next request. Streams beyond the server's concurrency limit wait in
 * the connection's buffering encoder rather than fail.
 */
public final class Http2Upstreams {
  private final Metrics metrics;
  private final Duration connectTimeout;
  private final Duration idleTimeout;
  private final FastThreadLocal<Map<InetSocketAddress, Http2Upstream>> connections =
      new FastThreadLocal<>() {
        @Override
        protected Map<InetSocketAddress, Http2Upstream> initialValue() {
          return new HashMap<>();
        }
      };

  public Http2Upstreams(Duration connectTimeout, Duration idleTimeout, Metrics metrics) {
    this.metrics = metrics;
    this.connectTimeout = connectTimeout;
    this.idleTimeout = idleTimeout;
  }

  /**
   * The loop's connection to {@code a}, perhaps still connecting (see {@link
   * Http2Upstream#connect}). Call on {@code loop}.
   */
  Http2Upstream get(EventLoop loop, InetSocketAddress a, String direction) {
    Map<InetSocketAddress, Http2Upstream> byEndpoint = connections.get();
    Http2Upstream c = byEndpoint.get(a);
    if (c == null || !c.usable()) {
      c = connect(loop, a, byEndpoint);
      Handoff.opened(metrics, direction, a, HttpVersion.HTTP_2);
      byEndpoint.put(a, c);
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

  private Http2Upstream connect(
      EventLoop loop, InetSocketAddress a, Map<InetSocketAddress, Http2Upstream> byEndpoint) {
    Http2Upstream[] self = new Http2Upstream[1];
    Http2Upstream h = Http2Upstream.create(() -> byEndpoint.remove(a, self[0]));
    self[0] = h;
    ChannelFuture connect =
        IoTransport.dial(loop, connectTimeout)
            .connect(
                a,
                ch -> {
                  ch.config().setAllocator(FrameBuffers.INSTANCE);
                  ch.pipeline()
                      .addLast(new IdleHandler(idleTimeout))
                      .addLast(new WriteBatch())
                      .addLast(h);
                });
    h.connect = connect;
    connect.addListener(f -> {
      if (!f.isSuccess()) {
        byEndpoint.remove(a, h);
      }
    });
    return h;
  }
}
