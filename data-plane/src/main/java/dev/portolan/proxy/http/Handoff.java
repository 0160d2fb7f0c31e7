package dev.portolan.proxy.http;

import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.HttpVersion;
import dev.portolan.proxy.tls.MeshTlsHandlers;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;

/** What the HTTP proxies share at their edges: taking over a connection, counting their dials. */
public final class Handoff {
  private Handoff() {}

  /**
   * Passes the bytes read during detection through the pipeline, which now holds the codec
   * (ownership passes): behind the mesh TLS handler when the connection has one. Returns whether
   * there were any.
   */
  public static boolean replay(Channel client, @Nullable ByteBuf detected) {
    if (detected == null) {
      return false;
    }
    if (!detected.isReadable()) {
      detected.release();
      return false;
    }
    // The bytes are plaintext: under mesh TLS they were decrypted already, so they enter the
    // pipeline behind the TLS handler (from the head, it would take them for TLS records). Found
    // by name: looking it up by class loads the TLS classes on the first request of a proxy
    // without identity, which stalled that request for seconds in the test bed.
    ChannelHandlerContext tls = client.pipeline().context(MeshTlsHandlers.SSL_NAME);
    if (tls != null) {
      tls.fireChannelRead(detected);
      tls.fireChannelReadComplete();
    } else {
      client.pipeline().fireChannelRead(detected);
      client.pipeline().fireChannelReadComplete();
    }
    return true;
  }

  /**
   * Counts the connections the HTTP pools open: {@code http_upstream_open_total}, with {@code
   * tls="true"} and {@code server_id} when the connection is mesh TLS to a peer proxy (as Linkerd's
   * proxy labels its outbound connections).
   *
   * @param serverId the endpoint's identity under mesh TLS, null for plaintext
   */
  public static void opened(
      Metrics metrics,
      String direction,
      InetSocketAddress a,
      HttpVersion protocol,
      @Nullable String serverId) {
    String endpoint = a.getAddress().getHostAddress() + ":" + a.getPort();
    String[] labels =
        serverId == null
            ? new String[] {
              "direction", direction, "endpoint", endpoint, "protocol", protocol.label()
            }
            : new String[] {
              "direction",
              direction,
              "endpoint",
              endpoint,
              "protocol",
              protocol.label(),
              "tls",
              "true",
              "server_id",
              serverId
            };
    metrics.counter("http_upstream_open_total", labels).increment();
  }
}
