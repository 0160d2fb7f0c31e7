package dev.portolan.proxy.http;

import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.time.Duration;

/** What the HTTP proxies share at their edges: taking over a connection, dialling an endpoint. */
final class Handoff {
  private Handoff() {}

  /**
   * Passes the bytes read during detection through the pipeline, which now holds the codec
   * (ownership passes). Returns whether there were any.
   */
  static boolean replay(Channel client, ByteBuf detected) {
    if (detected == null) {
      return false;
    }
    if (!detected.isReadable()) {
      detected.release();
      return false;
    }
    client.pipeline().fireChannelRead(detected);
    client.pipeline().fireChannelReadComplete();
    return true;
  }

  /** A connection to an endpoint, on the client's event loop. */
  static Bootstrap dial(EventLoop loop, Duration connectTimeout) {
    return new Bootstrap()
        .group(loop)
        .channel(Transport.of(loop).socketChannel())
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeout.toMillis());
  }

  /** Counts the connections the HTTP pools open: {@code http_upstream_open_total}. */
  static void opened(Metrics metrics, String direction, InetSocketAddress a, String protocol) {
    metrics
        .counter(
            "http_upstream_open_total",
            "direction",
            direction,
            "endpoint",
            a.getAddress().getHostAddress() + ":" + a.getPort(),
            "protocol",
            protocol)
        .increment();
  }
}
