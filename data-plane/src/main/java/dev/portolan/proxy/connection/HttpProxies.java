package dev.portolan.proxy.connection;

import dev.portolan.proxy.http.HttpContext;
import dev.portolan.proxy.http1.Http1Proxy;
import dev.portolan.proxy.http1.Http1Upstreams;
import dev.portolan.proxy.http2.Http2Proxy;
import dev.portolan.proxy.http2.Http2Upstreams;
import dev.portolan.proxy.route.HttpVersion;
import dev.portolan.proxy.route.Route;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import org.jspecify.annotations.Nullable;

/**
 * The hand-over of a connection found (or declared) to speak HTTP to the proxy of its version, with
 * what one listener's HTTP proxies share and the upstream pools of each version.
 */
public record HttpProxies(HttpContext shared, Http1Upstreams http1, Http2Upstreams http2) {

  /**
   * Serves {@code client} with the codec of {@code version}; {@code detected} holds the bytes read
   * during detection, or null (ownership passes). Call on the channel's event loop, with the
   * detecting handler already out of the pipeline.
   */
  public void take(Channel client, @Nullable ByteBuf detected, Route route, HttpVersion version) {
    switch (version) {
      case HTTP_1 -> Http1Proxy.install(client, detected, route, shared, http1);
      case HTTP_2 -> Http2Proxy.install(client, detected, route, shared, http2);
    }
  }
}
