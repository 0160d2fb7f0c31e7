package dev.portolan.proxy.http;

import dev.portolan.proxy.tls.MeshTlsSession;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AttributeKey;
import org.jspecify.annotations.Nullable;

/**
 * Who the client of an inbound HTTP request is. A client refused by the port's authorizations gets
 * {@code 403} ({@link #REFUSED}). {@code l5d-client-id} on inbound requests
 * (docs/design/inbound.md): whatever the client sent is removed, and the client's verified mesh
 * identity is set when the connection is mesh TLS with a client certificate. An application can
 * then trust the header: no client can forge it.
 */
public final class InboundAccess {
  public static final String HEADER = "l5d-client-id";

  /**
   * Set on a client channel refused by its port's authorizations on a port declared HTTP: the HTTP
   * proxies answer each request {@code 403} with this reason in {@code l5d-proxy-error} instead of
   * forwarding it, so nothing of the connection reaches the application.
   */
  public static final AttributeKey<String> REFUSED = AttributeKey.valueOf("portolan.unauthorized");

  private InboundAccess() {}

  /** Why the connection on {@code client} was refused, or null when it was not. */
  public static @Nullable String refused(Channel client) {
    return client.attr(REFUSED).get();
  }

  /** The verified identity of the client on {@code client}, or null (plaintext, no certificate). */
  public static @Nullable String clientId(Channel client) {
    MeshTlsSession s = MeshTlsSession.of(client);
    return s == null || !s.server() ? null : s.peerIdentity();
  }

  public static void rewrite(HttpHeaders headers, @Nullable String identity) {
    headers.remove(HEADER);
    if (identity != null) {
      headers.set(HEADER, identity);
    }
  }

  public static void rewrite(Http2Headers headers, @Nullable String identity) {
    headers.remove(HEADER);
    if (identity != null) {
      headers.set(HEADER, identity);
    }
  }
}
