package dev.portolan.proxy.tls;

/** Why a mesh TLS connection was refused; {@link #label()} is the metric label value. */
public enum TlsRefusal {
  /** This proxy has no usable certificate (not certified yet, or expired): no fallback. */
  NO_IDENTITY("no_identity"),
  /** The peer did not speak TLS at all. */
  PLAINTEXT("plaintext"),
  /** A server that requires a client certificate got none (or one that names no identity). */
  NO_CLIENT_CERTIFICATE("no_client_cert"),
  /** The peer's chain does not lead to the trust anchors. */
  UNTRUSTED("untrusted"),
  /** The peer's certificate has expired (or is not valid yet). */
  EXPIRED("expired"),
  /** The server's certificate names another identity than the endpoint's {@code tls_identity}. */
  IDENTITY_MISMATCH("identity_mismatch"),
  /** The opaque transport's ALPN {@code transport.l5d.io/v1} was not negotiated. */
  NO_ALPN("no_alpn"),
  /** Anything else in the handshake: TLS version, an alert from the peer, a timeout, a reset. */
  HANDSHAKE("handshake");

  private final String label;

  TlsRefusal(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
