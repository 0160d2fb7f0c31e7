package dev.portolan.proxy.tls;

import dev.portolan.proxy.identity.IdentityNames;
import java.net.Socket;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies mesh peers: the chain against the trust anchors (the JDK's PKIX trust manager: path,
 * validity, key usage), and on the client side that the server's leaf names exactly the identity
 * the connection expects. The expected identity is the engine's peer host, which is also the SNI
 * the client sends ({@link MeshTls#client}), so one client context serves every endpoint.
 *
 * <p>Works under both providers: Netty's OpenSSL engine calls the {@link SSLEngine} variants from
 * its verify callback, and keeps the exception thrown here as the handshake failure's cause.
 */
final class MeshTrustManager extends X509ExtendedTrustManager {
  private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

  private final X509ExtendedTrustManager pkix;

  MeshTrustManager(X509ExtendedTrustManager pkix) {
    this.pkix = pkix;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    try {
      pkix.checkClientTrusted(chain, authType, engine);
    } catch (CertificateException e) {
      throw refused("client", chain, e);
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    try {
      pkix.checkServerTrusted(chain, authType, engine);
    } catch (CertificateException e) {
      throw refused("server", chain, e);
    }
    String expected = engine.getPeerHost();
    List<String> names = IdentityNames.dnsNames(chain[0]);
    if (expected == null || !names.contains(expected)) {
      throw new MeshCertificateException(
          TlsRefusal.IDENTITY_MISMATCH,
          "server certificate names " + names + ", expected identity " + expected);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("mesh TLS runs on SSLEngine only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    throw new CertificateException("mesh TLS runs on SSLEngine only");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("mesh TLS runs on SSLEngine only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("mesh TLS runs on SSLEngine only");
  }

  /**
   * None: a server that lists certificate authorities in its request makes the client's key manager
   * skip a certificate from another issuer, and send nothing instead; the server should see that
   * certificate and refuse it for what it is.
   */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return NO_ISSUERS;
  }

  private static MeshCertificateException refused(
      String side, X509Certificate[] chain, CertificateException e) {
    String subject =
        chain.length == 0
            ? "(empty chain)"
            : IdentityNames.dnsNames(chain[0]).toString()
                + " (serial "
                + chain[0].getSerialNumber().toString(16)
                + ")";
    TlsRefusal why = expired(e) ? TlsRefusal.EXPIRED : TlsRefusal.UNTRUSTED;
    String what = why == TlsRefusal.EXPIRED ? "is expired or not yet valid" : "is not trusted";
    return new MeshCertificateException(
        why, side + " certificate " + subject + " " + what + ": " + e.getMessage(), e);
  }

  private static boolean expired(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof CertificateExpiredException
          || c instanceof CertificateNotYetValidException) {
        return true;
      }
      if (c instanceof CertPathValidatorException v
          && (v.getReason() == CertPathValidatorException.BasicReason.EXPIRED
              || v.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID)) {
        return true;
      }
    }
    return false;
  }
}
