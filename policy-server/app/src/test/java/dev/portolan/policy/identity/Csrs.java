package dev.portolan.policy.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequestBuilder;

/** Certificate signing requests as proxies (and impostors) build them. */
final class Csrs {
  private Csrs() {}

  static KeyPair ec(String curve) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec(curve));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static KeyPair p256() {
    return ec("secp256r1");
  }

  static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(1024); // the size does not matter: the type is refused
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** What a proxy sends: a P-256 key and one SAN, the identity. */
  static byte[] forIdentity(String identity) {
    return csr(p256(), dns(identity));
  }

  static byte[] csr(KeyPair keys, GeneralName... sans) {
    return signed(keys, keys.getPrivate(), sans);
  }

  /** The public key of {@code keys}, signed by {@code signer}: a self-signature that fails. */
  static byte[] signed(KeyPair keys, PrivateKey signer, GeneralName... sans) {
    try {
      PKCS10CertificationRequestBuilder b =
          new PKCS10CertificationRequestBuilder(
              new X500Name("CN=proxy"),
              SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()));
      if (sans.length > 0) {
        ExtensionsGenerator ext = new ExtensionsGenerator();
        ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
        b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
      }
      String alg =
          keys.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
      return b.build(new JcaContentSignerBuilder(alg).build(signer)).getEncoded();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  static GeneralName dns(String name) {
    return new GeneralName(GeneralName.dNSName, name);
  }

  static GeneralName uri(String uri) {
    return new GeneralName(GeneralName.uniformResourceIdentifier, uri);
  }
}
