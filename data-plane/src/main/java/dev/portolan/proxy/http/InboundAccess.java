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

  /**
   * Set beside {@link #REFUSED} on a connection its port's authorizations refuse but some of its
   * HTTP routes admit (the kubelet's probes under a {@code deny} policy): it decides each request.
   */
  public static final AttributeKey<RequestGate> GATE = AttributeKey.valueOf("portolan.routeGate");

  /** Decides each request on a connection only some routes admit. */
  @FunctionalInterface
  public interface RequestGate {
    /**
     * Why the request is refused, or null when a route admits it.
     *
     * @param uri the request target as sent (origin form, or absolute form)
     */
    @Nullable String refusal(String method, String uri);
  }

  private InboundAccess() {}

  /** Why the connection on {@code client} was refused, or null when it was not. */
  public static @Nullable String refused(Channel client) {
    return client.attr(REFUSED).get();
  }

  /**
   * Why this request on {@code client} is refused ({@code 403}), or null when it may pass: every
   * request on a connection its port admits, on a refused one only those a route admits.
   */
  public static @Nullable String refused(Channel client, String method, String uri) {
    String why = client.attr(REFUSED).get();
    if (why == null) {
      return null;
    }
    RequestGate gate = client.attr(GATE).get();
    return gate == null ? why : gate.refusal(method, uri);
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
