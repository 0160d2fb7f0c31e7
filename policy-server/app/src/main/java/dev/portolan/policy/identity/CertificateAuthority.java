package dev.portolan.policy.identity;

import dev.portolan.policy.identity.CertifyRefused.Reason;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Signs leaf certificates for proxies, and generates a throwaway trust anchor and issuer for
 * manifests mode. Everything is EC P-256 with ECDSA-SHA256, as Linkerd's proxies expect.
 */
public final class CertificateAuthority {
  // X.509 times have one-second precision: cut ours to match, so valid_until equals notAfter.
  private static final ChronoUnit PRECISION = ChronoUnit.SECONDS;
  // ub-common-name (RFC 5280): a longer identity goes in the SAN only.
  private static final int MAX_COMMON_NAME = 64;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Duration lifetime;
  private final Duration backdate;
  private final Clock clock;

  /**
   * @param lifetime how long a leaf is valid from now (cut to the issuer's own expiry)
   * @param backdate how far before now a leaf's notBefore lies, for peers whose clock is behind
   */
  public CertificateAuthority(Duration lifetime, Duration backdate, Clock clock) {
    this.lifetime = lifetime;
    this.backdate = backdate;
    this.clock = clock;
  }

  /** A leaf signed by the issuer. The caller has checked the key and the identity. */
  public Leaf issue(IssuerCredentials issuer, SubjectPublicKeyInfo key, String identity)
      throws CertifyRefused {
    Instant now = clock.instant().truncatedTo(PRECISION);
    X509Certificate ca = issuer.issuer();
    Instant issuerEnd = ca.getNotAfter().toInstant();
    if (!issuerEnd.isAfter(now)) {
      throw new CertifyRefused(
          Reason.ISSUER_UNAVAILABLE,
          "the issuer certificate expired at " + issuerEnd + "; rotate it (see docs/identity.md)");
    }
    // A leaf never outlives the certificate that signed it: peers would reject the chain.
    Instant notAfter = min(now.plus(lifetime), issuerEnd);
    Instant notBefore = now.minus(backdate);
    boolean shortName = identity.length() <= MAX_COMMON_NAME;
    // An empty subject is allowed when the SAN is critical (RFC 5280 4.2.1.6).
    X500Name subject = shortName ? new X500Name("CN=" + identity) : new X500Name(new RDN[0]);
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new X509v3CertificateBuilder(
                  new JcaX509CertificateHolder(ca).getSubject(),
                  serial(),
                  Date.from(notBefore),
                  Date.from(notAfter),
                  subject,
                  key)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                      }))
              .addExtension(
                  Extension.subjectAlternativeName,
                  !shortName,
                  new GeneralNames(new GeneralName(GeneralName.dNSName, identity)))
              .addExtension(
                  Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key))
              .addExtension(
                  Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
      return new Leaf(sign(b, issuer.key()), issuer.chain());
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      // Only a broken JCA setup gets here: the inputs were checked before.
      throw new IllegalStateException("cannot sign a leaf for " + identity, e);
    }
  }

  /** A signed leaf and the chain that leads from it to a trust anchor (issuer first). */
  public record Leaf(X509Certificate certificate, List<X509Certificate> intermediates) {
    public Leaf {
      intermediates = List.copyOf(intermediates);
    }

    public Instant notAfter() {
      return certificate.getNotAfter().toInstant();
    }
  }

  /**
   * A new self-signed trust anchor and an issuer signed by it, both valid for {@code validity}: the
   * manifests-mode bootstrap, regenerated at every start.
   */
  public static IssuerCredentials generate(
      String anchorName, String issuerName, Instant now, Duration validity, Duration backdate) {
    try {
      KeyPair anchorKeys = newKeyPair();
      KeyPair issuerKeys = newKeyPair();
      Instant from = now.truncatedTo(PRECISION).minus(backdate);
      Instant to = now.truncatedTo(PRECISION).plus(validity);
      X500Name anchorDn = new X500Name("CN=" + anchorName);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      SubjectPublicKeyInfo anchorPub =
          SubjectPublicKeyInfo.getInstance(anchorKeys.getPublic().getEncoded());
      X509Certificate anchor =
          sign(
              caBuilder(anchorDn, from, to, anchorDn, anchorPub, new BasicConstraints(true), ext),
              anchorKeys.getPrivate());
      SubjectPublicKeyInfo issuerPub =
          SubjectPublicKeyInfo.getInstance(issuerKeys.getPublic().getEncoded());
      // pathLen 0: the issuer signs leaves only, never another CA.
      X509Certificate issuer =
          sign(
              caBuilder(
                      anchorDn,
                      from,
                      to,
                      new X500Name("CN=" + issuerName),
                      issuerPub,
                      new BasicConstraints(0),
                      ext)
                  .addExtension(
                      Extension.authorityKeyIdentifier,
                      false,
                      ext.createAuthorityKeyIdentifier(anchor)),
              anchorKeys.getPrivate());
      return new IssuerCredentials(List.of(anchor), List.of(issuer), issuerKeys.getPrivate());
    } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot generate the trust anchor and issuer", e);
    }
  }

  private static X509v3CertificateBuilder caBuilder(
      X500Name issuer,
      Instant from,
      Instant to,
      X500Name subject,
      SubjectPublicKeyInfo key,
      BasicConstraints constraints,
      JcaX509ExtensionUtils ext)
      throws CertIOException {
    return new X509v3CertificateBuilder(
            issuer, serial(), Date.from(from), Date.from(to), subject, key)
        .addExtension(Extension.basicConstraints, true, constraints)
        .addExtension(
            Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
        .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return g.generateKeyPair();
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
  }

  /** A positive random serial of 16 bytes (RFC 5280 allows up to 20 octets). */
  private static BigInteger serial() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    b[0] &= 0x7f;
    b[0] |= 0x01; // never zero, never negative
    return new BigInteger(b);
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
