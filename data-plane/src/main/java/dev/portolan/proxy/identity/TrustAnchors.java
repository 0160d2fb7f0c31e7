package dev.portolan.proxy.identity;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The certificates every mesh certificate chains to: the policy-server's, the proxies' peers'. Read
 * once from a PEM bundle (the {@code portolan-identity-trust-roots} ConfigMap in a cluster).
 */
public record TrustAnchors(List<X509Certificate> certificates) {
  public TrustAnchors {
    if (certificates.isEmpty()) {
      throw new IllegalArgumentException("no trust anchors");
    }
    certificates = List.copyOf(certificates);
  }

  /**
   * @throws IllegalArgumentException naming the file when it is missing, unreadable or holds no
   *     certificate
   */
  public static TrustAnchors load(Path pemFile) {
    byte[] pem;
    try {
      pem = Files.readAllBytes(pemFile);
    } catch (IOException e) {
      throw new IllegalArgumentException("trust anchors " + pemFile + ": cannot read: " + e, e);
    }
    try {
      return fromPem(new String(pem, StandardCharsets.US_ASCII));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("trust anchors " + pemFile + ": " + e.getMessage(), e);
    }
  }

  /** One or more {@code -----BEGIN CERTIFICATE-----} blocks. */
  public static TrustAnchors fromPem(String pem) {
    if (!pem.contains("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalArgumentException("no PEM certificate in it");
    }
    List<X509Certificate> certs = new ArrayList<>();
    try {
      for (Certificate c :
          x509()
              .generateCertificates(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        certs.add((X509Certificate) c);
      }
    } catch (CertificateException e) {
      throw new IllegalArgumentException(
          "not a valid PEM certificate bundle: " + e.getMessage(), e);
    }
    return new TrustAnchors(certs);
  }

  /** The JDK's PKIX trust manager over these anchors (chain, validity, key usage; no names). */
  public X509ExtendedTrustManager pkixTrustManager() {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      for (int i = 0; i < certificates.size(); i++) {
        store.setCertificateEntry("anchor-" + i, certificates.get(i));
      }
      TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
      f.init(store);
      for (TrustManager m : f.getTrustManagers()) {
        if (m instanceof X509ExtendedTrustManager x) {
          return x;
        }
      }
      throw new IllegalStateException("the JDK's PKIX factory made no X509ExtendedTrustManager");
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a trust manager over the trust anchors", e);
    }
  }

  /**
   * Checks that {@code chain} (leaf first, then intermediates) chains to one of these anchors and
   * is valid at {@code at}.
   *
   * @throws CertPathValidatorException saying which certificate failed and why
   */
  public void verify(List<X509Certificate> chain, Instant at) throws CertPathValidatorException {
    try {
      Set<TrustAnchor> anchors = new HashSet<>();
      for (X509Certificate c : certificates) {
        anchors.add(new TrustAnchor(c, null));
      }
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(at));
      CertPathValidator.getInstance("PKIX")
          .validate(x509().generateCertPath(withoutAnchors(chain)), params);
    } catch (CertPathValidatorException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new CertPathValidatorException("cannot validate the chain: " + e.getMessage(), e);
    }
  }

  /** PKIX wants the path without its anchor; an issuer may send the root along anyway. */
  private List<X509Certificate> withoutAnchors(List<X509Certificate> chain) {
    List<X509Certificate> path = new ArrayList<>(chain.size());
    for (X509Certificate c : chain) {
      if (path.isEmpty() || !certificates.contains(c)) {
        path.add(c);
      }
    }
    return path;
  }

  static CertificateFactory x509() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("this JDK has no X.509 certificate factory", e);
    }
  }
}
