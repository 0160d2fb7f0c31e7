package dev.portolan.helm;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;

/**
 * Certificates for "bring your own certificates" (as an operator would make with step or openssl)
 * and PEM reading for checking what the chart generated.
 */
final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private TestCertificates() {}

  /** A certificate with its key, both as PEM. */
  record Issued(X509Certificate cert, KeyPair keys) {
    String certPem() {
      return pem(cert);
    }

    String keyPem() {
      return pem(keys.getPrivate());
    }
  }

  static Issued selfSignedCa(String cn) {
    KeyPair keys = ecKeys();
    return new Issued(build(cn, keys.getPublic(), "CN=" + cn, keys, true, List.of()), keys);
  }

  static Issued intermediateCa(String cn, Issued parent) {
    KeyPair keys = ecKeys();
    X509Certificate c =
        build(
            cn,
            keys.getPublic(),
            parent.cert.getSubjectX500Principal().getName(),
            parent.keys,
            true,
            List.of());
    return new Issued(c, keys);
  }

  static Issued serving(String cn, List<String> dnsNames, Issued parent) {
    KeyPair keys = ecKeys();
    X509Certificate c =
        build(
            cn,
            keys.getPublic(),
            parent.cert.getSubjectX500Principal().getName(),
            parent.keys,
            false,
            dnsNames);
    return new Issued(c, keys);
  }

  static X509Certificate certificate(String pem) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(
                  new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    } catch (CertificateException e) {
      throw new AssertionError("not a PEM certificate: " + pem, e);
    }
  }

  /** The public key of a PEM private key (PKCS#1 RSA, SEC1 EC or PKCS#8), to match a cert. */
  static PublicKey publicKeyOf(String keyPem) {
    try (PEMParser p = new PEMParser(new StringReader(keyPem))) {
      Object o = p.readObject();
      if (o instanceof PEMKeyPair pair) {
        return new JcaPEMKeyConverter().getKeyPair(pair).getPublic();
      }
      throw new AssertionError("not a PEM key pair: " + (o == null ? "nothing" : o.getClass()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static KeyPair ecKeys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate build(
      String cn,
      PublicKey subjectKey,
      String issuerDn,
      KeyPair issuerKeys,
      boolean ca,
      List<String> dnsNames) {
    Instant now = Instant.now();
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              new X500Name(issuerDn),
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(Duration.ofDays(365))),
              new X500Name("CN=" + cn),
              subjectKey);
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
      if (!dnsNames.isEmpty()) {
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(
                dnsNames.stream()
                    .map(n -> new GeneralName(GeneralName.dNSName, n))
                    .toArray(GeneralName[]::new)));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(
              b.build(
                  new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    } catch (IOException | CertificateException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(@Nullable Object o) {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return s.toString();
  }
}
