package dev.portolan.proxy.route;

/**
 * An upstream reached over mesh TLS (docs/design/outbound.md): the peer proxy's identity, checked
 * against the SAN of its certificate, and where its proxy takes the connection.
 *
 * @param identity the endpoint's {@code tls_identity}
 * @param transportPort the peer's inbound port ({@code opaque_transport.inbound_port}): the
 *     connection goes to {@code ip:transportPort} with ALPN {@code transport.l5d.io/v1} and a
 *     transport header naming the real port; {@link #APPLICATION_PORT} (0) when the endpoint has no
 *     {@code opaque_transport}: mesh TLS straight to its own port, no ALPN and no header
 */
public record MeshTarget(String identity, int transportPort) {
  /** No opaque transport: mesh TLS on the endpoint's own (application) port. */
  public static final int APPLICATION_PORT = 0;

  public MeshTarget {
    if (identity.isEmpty()) {
      throw new IllegalArgumentException("a mesh target needs an identity");
    }
    if (transportPort < 0 || transportPort > 65535) {
      throw new IllegalArgumentException("transport port " + transportPort + " out of range");
    }
  }

  /** Mesh TLS on the application port itself (no opaque transport). */
  public static MeshTarget applicationPort(String identity) {
    return new MeshTarget(identity, APPLICATION_PORT);
  }

  /** Through the peer's inbound port with ALPN and the transport header. */
  public boolean opaqueTransport() {
    return transportPort != APPLICATION_PORT;
  }
}
