package dev.portolan.proxy.tls;

import java.security.cert.CertificateException;

/** A peer certificate refused by {@link MeshTrustManager}, with the reason to count. */
public final class MeshCertificateException extends CertificateException {
  private final TlsRefusal refusal;

  public MeshCertificateException(TlsRefusal refusal, String message, Throwable cause) {
    super(message, cause);
    this.refusal = refusal;
  }

  public MeshCertificateException(TlsRefusal refusal, String message) {
    super(message);
    this.refusal = refusal;
  }

  public TlsRefusal refusal() {
    return refusal;
  }
}
