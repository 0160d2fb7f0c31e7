package dev.portolan.proxy.http;

import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.HttpVersion;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/** What the HTTP proxies share at their edges: taking over a connection, counting their dials. */
public final class Handoff {
  private Handoff() {}

  /**
   * Passes the bytes read during detection through the pipeline, which now holds the codec
   * (ownership passes). Returns whether there were any.
   */
  public static boolean replay(Channel client, @Nullable ByteBuf detected) {
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

  /** Counts the connections the HTTP pools open: {@code http_upstream_open_total}. */
  public static void opened(
      Metrics metrics, String direction, InetSocketAddress a, HttpVersion protocol) {
    metrics
        .counter(
            "http_upstream_open_total",
            "direction",
            direction,
            "endpoint",
            a.getAddress().getHostAddress() + ":" + a.getPort(),
            "protocol",
            protocol.label())
        .increment();
  }
}
