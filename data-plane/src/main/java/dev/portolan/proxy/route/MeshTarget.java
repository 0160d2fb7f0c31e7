package dev.portolan.proxy.route;

/**
 * An upstream reached over mesh TLS (docs/design/outbound.md): the peer proxy's identity, checked
 * against the SAN of its certificate, and where its proxy takes the connection.
 *
 * @param identity the endpoint's {@code tls_identity}
 * @param transportPort the peer's inbound port ({@code opaque_transport.inbound_port}): the
 *     connection goes to {@code ip:transportPort} with ALPN {@code transport.l5d.io/v1} and a
 *     transport header naming the real port
 */
public record MeshTarget(String identity, int transportPort) {
  public MeshTarget {
    if (identity.isEmpty()) {
      throw new IllegalArgumentException("a mesh target needs an identity");
    }
    if (transportPort < 1 || transportPort > 65535) {
      throw new IllegalArgumentException("transport port " + transportPort + " out of range");
    }
  }
}
