package dev.portolan.proxy.identity;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/** A certificate authority for tests, built with BouncyCastle (test scope only). */
public final class TestPki {
  private static final SecureRandom random = new SecureRandom();

  private TestPki() {}

  /** A CA: its key and certificate, and the chain above it (excluding the root). */
  public record Ca(KeyPair keys, X509Certificate cert, List<X509Certificate> above) {
    /** An intermediate issuer signed by this CA. */
    public Ca intermediate(String name) {
      KeyPair k = Csr.newKeyPair();
      X509Certificate c =
          sign(
              this,
              new X500Name("CN=" + name),
              k.getPublic(),
              null,
              Instant.now().minus(Duration.ofDays(1)),
              Instant.now().plus(Duration.ofDays(3650)),
              true);
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(cert);
      chain.addAll(above);
      if (chain.size() > 0 && isSelfSigned(chain.getLast())) {
        chain.removeLast(); // the root is the trust anchor, not part of the chain
      }
      return new Ca(k, c, chain);
    }

    /** The intermediates a leaf of this CA carries after itself. */
    public List<X509Certificate> chainBelowRoot() {
      if (isSelfSigned(cert)) {
        return List.of();
      }
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(cert);
      chain.addAll(above);
      return chain;
    }

    /** A leaf for {@code dnsName} (serverAuth + clientAuth, as mesh certificates are). */
    public X509Certificate issue(
        PublicKey key, String dnsName, Instant notBefore, Instant notAfter) {
      return sign(
          this,
          new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
          key,
          dnsName,
          notBefore,
          notAfter,
          false);
    }

    /** A fresh key and a leaf for it, valid from a minute ago for {@code validity}. */
    public Leaf leaf(String dnsName, Duration validity) {
      return leaf(
          dnsName, Instant.now().minus(Duration.ofMinutes(1)), Instant.now().plus(validity));
    }

    public Leaf leaf(String dnsName, Instant notBefore, Instant notAfter) {
      KeyPair k = Csr.newKeyPair();
      return new Leaf(k, issue(k.getPublic(), dnsName, notBefore, notAfter), chainBelowRoot());
    }

    /**
     * Signs a PKCS#10 request as the identity service would: checks its signature and copies its
     * SAN.
     */
    public X509Certificate issueFromCsr(byte[] der, Instant notBefore, Instant notAfter) {
      try {
        JcaPKCS10CertificationRequest csr = new JcaPKCS10CertificationRequest(der);
        if (!csr.isSignatureValid(
            new JcaContentVerifierProviderBuilder().build(csr.getPublicKey()))) {
          throw new IllegalArgumentException("bad CSR signature");
        }
        List<String> names = csrDnsNames(der);
        if (names.size() != 1) {
          throw new IllegalArgumentException("CSR names " + names);
        }
        return issue(csr.getPublicKey(), names.getFirst(), notBefore, notAfter);
      } catch (Exception e) {
        throw new IllegalArgumentException(e);
      }
    }

    public String pem() {
      return TestPki.pem(cert);
    }
  }

  /** A key, its certificate and the intermediates to send after it. */
  public record Leaf(KeyPair keys, X509Certificate cert, List<X509Certificate> intermediates) {
    public IdentityCertificate asIdentity(String identity, long generation) {
      return new IdentityCertificate(
          identity,
          keys.getPrivate(),
          cert,
          intermediates,
          cert.getNotAfter().toInstant(),
          generation);
    }
  }

  public static Ca root(String name) {
    KeyPair k = Csr.newKeyPair();
    X509Certificate c =
        sign(
            null,
            new X500Name("CN=" + name),
            k.getPublic(),
            null,
            Instant.now().minus(Duration.ofDays(1)),
            Instant.now().plus(Duration.ofDays(3650)),
            true,
            k);
    return new Ca(k, c, List.of());
  }

  /** The DNS SANs in a CSR's extensionRequest attribute. */
  public static List<String> csrDnsNames(byte[] der) throws Exception {
    JcaPKCS10CertificationRequest csr = new JcaPKCS10CertificationRequest(der);
    List<String> out = new ArrayList<>();
    for (Attribute a : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      for (ASN1Encodable v : a.getAttrValues()) {
        GeneralNames names =
            GeneralNames.fromExtensions(
                Extensions.getInstance(v), Extension.subjectAlternativeName);
        if (names == null) {
          continue;
        }
        for (GeneralName n : names.getNames()) {
          if (n.getTagNo() == GeneralName.dNSName) {
            out.add(n.getName().toString());
          }
        }
      }
    }
    return out;
  }

  public static String pem(X509Certificate... certs) {
    StringBuilder b = new StringBuilder();
    for (X509Certificate c : certs) {
      try {
        b.append("-----BEGIN CERTIFICATE-----\n")
            .append(Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(c.getEncoded()))
            .append("\n-----END CERTIFICATE-----\n");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    return b.toString();
  }

  private static boolean isSelfSigned(X509Certificate c) {
    return c.getSubjectX500Principal().equals(c.getIssuerX500Principal());
  }

  private static X509Certificate sign(
      Ca issuer,
      X500Name subject,
      PublicKey key,
      String dnsName,
      Instant notBefore,
      Instant notAfter,
      boolean ca) {
    return sign(issuer, subject, key, dnsName, notBefore, notAfter, ca, issuer.keys());
  }

  private static X509Certificate sign(
      Ca issuer,
      X500Name subject,
      PublicKey key,
      String dnsName,
      Instant notBefore,
      Instant notAfter,
      boolean ca,
      KeyPair signer) {
    try {
      X500Name issuerName =
          issuer == null
              ? subject
              : X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded());
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuerName,
              new BigInteger(64, random).add(BigInteger.ONE),
              Date.from(notBefore),
              Date.from(notAfter),
              subject,
              key);
      if (ca) {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(
            Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(
            Extension.extendedKeyUsage,
            false,
            new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        // An empty subject: the SAN is the identity, and then it must be critical (RFC 5280).
        b.addExtension(
            Extension.subjectAlternativeName,
            true,
            new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(
              b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
