package dev.portolan.tools.cli.check;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** EC P-256 CAs for the broken installs, as an operator would make them with step or openssl. */
record TestCa(X509Certificate cert, KeyPair keys) {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** A self-signed CA valid from an hour ago for {@code validity}. */
  static TestCa selfSigned(String cn, Duration validity) {
    KeyPair keys = newKeys();
    return new TestCa(sign(cn, keys, cn, keys, validity), keys);
  }

  /** An intermediate CA signed by this one. */
  TestCa intermediate(String cn, Duration validity) {
    KeyPair child = newKeys();
    String parent = cert.getSubjectX500Principal().getName().replaceFirst("^CN=", "");
    return new TestCa(sign(cn, child, parent, keys, validity), child);
  }

  String pem() {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      p.writeObject(cert);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  private static X509Certificate sign(
      String cn, KeyPair subject, String issuerCn, KeyPair issuer, Duration validity) {
    Instant from = Instant.now().minus(Duration.ofHours(1));
    try {
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              new X500Name("CN=" + issuerCn),
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(from),
              Date.from(from.plus(validity)),
              new X500Name("CN=" + cn),
              subject.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      return new JcaX509CertificateConverter()
          .getCertificate(
              b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair newKeys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
