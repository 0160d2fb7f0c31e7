package dev.portolan.proxy.tls;

import dev.portolan.proxy.identity.IdentityNames;
import dev.portolan.proxy.identity.TrustAnchors;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies mesh peers: the chain against the trust anchors ({@link TrustAnchors#verify}: path,
 * validity, CA constraints), the leaf's key usage and extended key usage for its side of the
 * handshake, and on the client side that the server's leaf names exactly the identity the
 * connection expects. The expected identity is the engine's peer host, which is also the SNI the
 * client sends ({@link MeshTls#client}), so one client context serves every endpoint.
 *
 * <p>Works under both providers: Netty's OpenSSL engine calls the {@link SSLEngine} variants from
 * its verify callback, and keeps the exception thrown here as the handshake failure's cause.
 */
final class MeshTrustManager extends X509ExtendedTrustManager {
  private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

  /** id-kp-serverAuth, id-kp-clientAuth, anyExtendedKeyUsage (RFC 5280, 4.2.1.12). */
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  private static final String ANY_USAGE = "2.5.29.37.0";

  /** keyUsage bit 0: a TLS 1.3 peer signs the handshake with its key. */
  private static final int DIGITAL_SIGNATURE = 0;

  private final TrustAnchors anchors;

  MeshTrustManager(TrustAnchors anchors) {
    this.anchors = anchors;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check("client", chain, CLIENT_AUTH);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check("server", chain, SERVER_AUTH);
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

  private void check(String side, X509Certificate[] chain, String purpose)
      throws MeshCertificateException {
    if (chain.length == 0) {
      throw refused(side, chain, new CertificateException("no certificate"));
    }
    try {
      anchors.verify(List.of(chain), Instant.now());
    } catch (CertPathValidatorException e) {
      throw refused(side, chain, e);
    }
    X509Certificate leaf = chain[0];
    boolean[] usage = leaf.getKeyUsage();
    if (usage != null && (usage.length <= DIGITAL_SIGNATURE || !usage[DIGITAL_SIGNATURE])) {
      throw refused(side, chain, new CertificateException("its key usage has no digitalSignature"));
    }
    List<String> extended;
    try {
      extended = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw refused(side, chain, e);
    }
    if (extended != null && !extended.contains(purpose) && !extended.contains(ANY_USAGE)) {
      throw refused(
          side,
          chain,
          new CertificateException("its extended key usage " + extended + " lacks " + purpose));
    }
  }

  private static MeshCertificateException refused(
      String side, X509Certificate[] chain, GeneralSecurityException e) {
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
