package dev.portolan.policy.inject;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The webhook's serving key and certificate chain: read from PEM files (as a Kubernetes TLS Secret
 * holds them), or made up at start when none is configured.
 */
record WebhookTls(PrivateKey key, List<X509Certificate> chain, boolean generated) {
  WebhookTls {
    chain = List.copyOf(chain);
  }

  /**
   * @throws IllegalArgumentException naming the file and what is wrong with it
   */
  static WebhookTls load(Path certFile, Path keyFile) {
    List<X509Certificate> chain = new ArrayList<>();
    var converter = new JcaX509CertificateConverter();
    try (Reader r = Files.newBufferedReader(certFile);
        PEMParser pem = new PEMParser(r)) {
      for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
        if (o instanceof X509CertificateHolder h) {
          chain.add(converter.getCertificate(h));
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "portolan.injector.cert-file " + certFile + ": cannot be read: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "portolan.injector.cert-file " + certFile + ": not a certificate: " + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new IllegalArgumentException(
          "portolan.injector.cert-file " + certFile + ": no CERTIFICATE block in it");
    }
    return new WebhookTls(readKey(keyFile), chain, false);
  }

  private static PrivateKey readKey(Path keyFile) {
    var converter = new JcaPEMKeyConverter();
    try (Reader r = Files.newBufferedReader(keyFile);
        PEMParser pem = new PEMParser(r)) {
      for (Object o = pem.readObject(); o != null; o = pem.readObject()) {
        switch (o) {
          case PEMKeyPair pair -> {
            return converter.getKeyPair(pair).getPrivate(); // PKCS#1 RSA, SEC1 EC
          }
          case PrivateKeyInfo info -> {
            return converter.getPrivateKey(info); // PKCS#8
          }
          default -> {
            // EC PARAMETERS and the like come before the key: skip them.
          }
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "portolan.injector.key-file " + keyFile + ": cannot be read: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(
        "portolan.injector.key-file "
            + keyFile
            + ": no unencrypted private key in it (PKCS#1, SEC1 or PKCS#8 PEM)");
  }

  /** An EC P-256 key and a self-signed certificate for {@code localhost} and this host. */
  static WebhookTls selfSigned(Duration validity) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair kp = g.generateKeyPair();
      String host = InetAddress.getLocalHost().getHostName();
      Instant now = Instant.now();
      X500Name subject = new X500Name("CN=portolan-injector (self-signed)");
      var builder =
          new JcaX509v3CertificateBuilder(
              subject,
              new BigInteger(64, new SecureRandom()),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(validity)),
              subject,
              kp.getPublic());
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.dNSName, host),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.iPAddress, "::1")
              }));
      var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate());
      X509Certificate cert =
          new JcaX509CertificateConverter().getCertificate(builder.build(signer));
      return new WebhookTls(kp.getPrivate(), List.of(cert), true);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot generate the injector's certificate", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  X509Certificate leaf() {
    return chain.getFirst();
  }

  String fingerprint() {
    try {
      return HexFormat.ofDelimiter(":")
          .withUpperCase()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(leaf().getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
