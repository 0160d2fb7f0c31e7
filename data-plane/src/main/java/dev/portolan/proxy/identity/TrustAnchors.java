package dev.portolan.proxy.identity;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;
import org.jspecify.annotations.Nullable;

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
   * is valid at {@code at}: each certificate's validity, its signature by the next one (or by an
   * anchor of the same name), every issuer below an anchor a CA allowed to sign certificates and
   * within its path length, no critical extension this check does not understand, no MD2, MD5 or
   * SHA-1 signature. Revocation is not checked (the mesh's certificates live a day). A root sent
   * along at the end is ignored: the chain stops at the first anchor.
   *
   * <p>By hand rather than through the JDK's PKIX {@code CertPathValidator}: the mesh verifies
   * every peer, and the JDK's validator, with its trust manager, key store and algorithm
   * constraints, loads ~200 classes (and the ICU normaliser for the names) into every proxy for a
   * chain of two certificates (docs/benchmarks.md, issue 26).
   *
   * @throws CertPathValidatorException saying which certificate failed and why; reason {@code
   *     EXPIRED} or {@code NOT_YET_VALID} when that is why
   */
  public void verify(List<X509Certificate> chain, Instant at) throws CertPathValidatorException {
    if (chain.isEmpty()) {
      throw new CertPathValidatorException("empty certificate chain");
    }
    Date when = Date.from(at);
    for (int i = 0; ; i++) {
      X509Certificate c = chain.get(i);
      checkOne(c, i, when);
      // Byte-equal names first; the canonical comparison only where the chain would otherwise end
      // (see sameName).
      List<X509Certificate> named = anchorsOf(c, false);
      if (named.isEmpty() && i + 1 == chain.size()) {
        named = anchorsOf(c, true);
      }
      if (!named.isEmpty()) {
        signedByOneOf(c, i, named);
        return;
      }
      if (i + 1 == chain.size()) {
        throw new CertPathValidatorException(
            describe(c, i)
                + " is not issued by a trust anchor (issuer "
                + c.getIssuerX500Principal()
                + ")");
      }
      X509Certificate issuer = chain.get(i + 1);
      if (!sameName(issuer.getSubjectX500Principal(), c.getIssuerX500Principal())) {
        throw new CertPathValidatorException(
            describe(c, i)
                + " names issuer "
                + c.getIssuerX500Principal()
                + " but the next certificate is "
                + issuer.getSubjectX500Principal());
      }
      signedBy(c, i, issuer, describe(issuer, i + 1));
      // The issuer must be a CA that may sign certificates, with room for the CAs below it: the
      // intermediates between it and the leaf (the leaf itself does not count).
      int caBelow = i;
      int pathLen = issuer.getBasicConstraints();
      if (pathLen < 0) {
        throw new CertPathValidatorException(describe(issuer, i + 1) + " is not a CA");
      }
      if (pathLen != Integer.MAX_VALUE && caBelow > pathLen) {
        throw new CertPathValidatorException(
            describe(issuer, i + 1) + " allows " + pathLen + " CAs below it, not " + caBelow);
      }
      boolean[] usage = issuer.getKeyUsage();
      if (usage != null && (usage.length <= KEY_CERT_SIGN || !usage[KEY_CERT_SIGN])) {
        throw new CertPathValidatorException(
            describe(issuer, i + 1) + " may not sign certificates (key usage)");
      }
    }
  }

  /** keyUsage bit 5 (RFC 5280, 4.2.1.3). */
  private static final int KEY_CERT_SIGN = 5;

  /** The critical extensions this check enforces: key usage, SAN, basic constraints, EKU. */
  private static final Set<String> UNDERSTOOD =
      Set.of("2.5.29.15", "2.5.29.17", "2.5.29.19", "2.5.29.37");

  private static void checkOne(X509Certificate c, int index, Date when)
      throws CertPathValidatorException {
    try {
      c.checkValidity(when);
    } catch (CertificateExpiredException e) {
      throw new CertPathValidatorException(
          describe(c, index) + " expired at " + c.getNotAfter().toInstant(),
          e,
          null,
          -1,
          CertPathValidatorException.BasicReason.EXPIRED);
    } catch (CertificateNotYetValidException e) {
      throw new CertPathValidatorException(
          describe(c, index) + " is not valid before " + c.getNotBefore().toInstant(),
          e,
          null,
          -1,
          CertPathValidatorException.BasicReason.NOT_YET_VALID);
    }
    Set<String> critical = c.getCriticalExtensionOIDs();
    if (critical != null) {
      for (String oid : critical) {
        if (!UNDERSTOOD.contains(oid)) {
          throw new CertPathValidatorException(
              describe(c, index) + " has an unsupported critical extension " + oid);
        }
      }
    }
    String sig = c.getSigAlgName().toUpperCase(java.util.Locale.ROOT);
    if (sig.startsWith("MD2") || sig.startsWith("MD5") || sig.startsWith("SHA1")) {
      throw new CertPathValidatorException(
          describe(c, index) + " is signed with a weak algorithm " + c.getSigAlgName());
    }
  }

  private static void signedBy(X509Certificate c, int index, X509Certificate issuer, String who)
      throws CertPathValidatorException {
    try {
      c.verify(issuer.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new CertPathValidatorException(
          describe(c, index) + " is not signed by " + who + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code c} signed by one of {@code anchors}, all of its issuer's name: a bundle during a
   * rotation holds the old and the new root, often under the same name (docs/identity.md), and a
   * chain to either is valid.
   */
  private static void signedByOneOf(X509Certificate c, int index, List<X509Certificate> anchors)
      throws CertPathValidatorException {
    @Nullable CertPathValidatorException last = null;
    for (X509Certificate a : anchors) {
      try {
        signedBy(c, index, a, "trust anchor " + a.getSubjectX500Principal());
        return;
      } catch (CertPathValidatorException e) {
        last = e;
      }
    }
    throw Objects.requireNonNull(last);
  }

  /** The anchors whose name is {@code c}'s issuer, in bundle order. */
  private List<X509Certificate> anchorsOf(X509Certificate c, boolean canonical) {
    List<X509Certificate> named = new ArrayList<>(1);
    X500Principal issuer = c.getIssuerX500Principal();
    for (X509Certificate a : certificates) {
      X500Principal name = a.getSubjectX500Principal();
      if (canonical
          ? sameName(name, issuer)
          : Arrays.equals(name.getEncoded(), issuer.getEncoded())) {
        named.add(a);
      }
    }
    return named;
  }

  /**
   * Names compared as encoded first: an issuer copies its subject's bytes into what it signs, so
   * that settles every mesh chain. Only names that differ in bytes, where the chain would fail
   * otherwise, get {@link X500Principal}'s canonical comparison (RFC 5280, 7.1), whose Unicode
   * normalisation loads the JDK's ICU tables.
   */
  private static boolean sameName(X500Principal a, X500Principal b) {
    return Arrays.equals(a.getEncoded(), b.getEncoded()) || a.equals(b);
  }

  private static String describe(X509Certificate c, int index) {
    return "certificate "
        + index
        + " ("
        + c.getSubjectX500Principal()
        + ", serial "
        + c.getSerialNumber().toString(16)
        + ")";
  }

  static CertificateFactory x509() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("this JDK has no X.509 certificate factory", e);
    }
  }
}
