package dev.portolan.proxy.http;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.HttpVersion;
import dev.portolan.proxy.route.Route;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * What the HTTP proxies of one listener share: its direction, the balancer, the upstream pools and
 * the metrics; and the hand-over of a connection found (or declared) to speak HTTP.
 */
public record HttpProxies(
    String direction, P2c balancer, Http1Upstreams http1, Http2Upstreams http2, Metrics metrics) {

  /**
   * Serves {@code client} with the codec of {@code version}; {@code detected} holds the bytes read
   * during detection, or null (ownership passes). Call on the channel's event loop, with the
   * detecting handler already out of the pipeline.
   */
  public void take(Channel client, ByteBuf detected, Route route, HttpVersion version) {
    switch (version) {
      case HTTP_1 -> Http1Proxy.install(client, detected, route, this);
      case HTTP_2 -> Http2Proxy.install(client, detected, route, this);
    }
  }
}
