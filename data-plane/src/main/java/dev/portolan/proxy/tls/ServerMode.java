package dev.portolan.proxy.tls;

/**
 * What a mesh TLS server demands of its clients, checked once the handshake is done and before any
 * application byte is read (docs/design/inbound.md).
 *
 * @param requireClientCertificate refuse a client without a verified certificate naming an identity
 *     (a certificate that is presented is always verified, required or not)
 * @param requireTransportAlpn offer {@code transport.l5d.io/v1} and refuse a client that did not
 *     negotiate it; false: no ALPN at all (the application-port path)
 */
public record ServerMode(boolean requireClientCertificate, boolean requireTransportAlpn) {
  /** Direct connections to the inbound port (4143): a client certificate and the ALPN. */
  public static final ServerMode TRANSPORT = new ServerMode(true, true);

  /**
   * Mesh TLS terminated on an application port (a ClientHello naming this proxy's identity): no
   * ALPN; the client's identity recorded when it presents a certificate (policy decides the rest).
   */
  public static final ServerMode APPLICATION = new ServerMode(false, false);
}
