package dev.portolan.proxy.identity;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;

/**
 * The proxy's key pair and its PKCS#10 certificate request (RFC 2986), written with the JDK alone.
 *
 * <p>Why not BouncyCastle: the request is one fixed shape (empty subject, an EC P-256 key, one
 * {@code extensionRequest} attribute carrying a subjectAltName with one DNS name, signed with
 * ECDSA-SHA256), a hundred lines of DER, while the proxy's memory budget counts every class it
 * loads (measured in the commit that added this class: BouncyCastle's request builder loads a few
 * hundred classes more).
 *
 * <pre>
 * CertificationRequest ::= SEQUENCE {
 *   certificationRequestInfo SEQUENCE {
 *     version       INTEGER 0,
 *     subject       Name (an empty SEQUENCE: the identity is the SAN),
 *     subjectPKInfo SubjectPublicKeyInfo (the JDK's X.509 encoding of the key),
 *     attributes    [0] { SEQUENCE { extensionRequest, SET { Extensions } } } },
 *   signatureAlgorithm SEQUENCE { ecdsa-with-SHA256 },
 *   signature          BIT STRING (the DER ECDSA-Sig-Value) }
 * </pre>
 */
public final class Csr {
  // Pre-encoded object identifiers (tag, length, value).
  private static final byte[] OID_EXTENSION_REQUEST = {
    0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x09, 0x0e
  }; // 1.2.840.113549.1.9.14
  private static final byte[] OID_SUBJECT_ALT_NAME = {0x06, 0x03, 0x55, 0x1d, 0x11}; // 2.5.29.17
  private static final byte[] OID_ECDSA_SHA256 = {
    0x06, 0x08, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x04, 0x03, 0x02
  }; // 1.2.840.10045.4.3.2

  private static final int SEQUENCE = 0x30;
  private static final int SET = 0x31;
  private static final int INTEGER = 0x02;
  private static final int BIT_STRING = 0x03;
  private static final int OCTET_STRING = 0x04;
  private static final int CONTEXT_0_CONSTRUCTED = 0xa0;
  private static final int GENERAL_NAME_DNS = 0x82; // [2] IMPLICIT IA5String

  private Csr() {}

  /** A fresh EC P-256 key pair (the proxy makes one at start and keeps it for its lifetime). */
  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make an EC P-256 key", e);
    }
  }

  /** The DER request for {@code dnsName}, signed by {@code keys} (an EC key pair). */
  public static byte[] create(KeyPair keys, String dnsName) {
    if (!(keys.getPublic() instanceof ECPublicKey)) {
      throw new IllegalArgumentException("the key pair is not EC: " + keys.getPublic());
    }
    for (int i = 0; i < dnsName.length(); i++) {
      if (dnsName.charAt(i) > 0x7e || dnsName.charAt(i) < 0x21) {
        throw new IllegalArgumentException("'" + dnsName + "' is not an ASCII DNS name");
      }
    }
    byte[] generalNames =
        tlv(SEQUENCE, tlv(GENERAL_NAME_DNS, dnsName.getBytes(StandardCharsets.US_ASCII)));
    byte[] extensions =
        tlv(SEQUENCE, tlv(SEQUENCE, OID_SUBJECT_ALT_NAME, tlv(OCTET_STRING, generalNames)));
    byte[] attributes =
        tlv(CONTEXT_0_CONSTRUCTED, tlv(SEQUENCE, OID_EXTENSION_REQUEST, tlv(SET, extensions)));
    byte[] info =
        tlv(
            SEQUENCE,
            tlv(INTEGER, new byte[] {0}),
            tlv(SEQUENCE), // empty subject
            keys.getPublic().getEncoded(), // SubjectPublicKeyInfo, already DER
            attributes);
    byte[] signature;
    try {
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(keys.getPrivate());
      s.update(info);
      signature = s.sign(); // DER ECDSA-Sig-Value
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign the certificate request", e);
    }
    byte[] bits = new byte[signature.length + 1]; // leading byte: no unused bits
    System.arraycopy(signature, 0, bits, 1, signature.length);
    return tlv(SEQUENCE, info, tlv(SEQUENCE, OID_ECDSA_SHA256), tlv(BIT_STRING, bits));
  }

  /** Tag, DER length, then the parts concatenated. */
  private static byte[] tlv(int tag, byte[]... parts) {
    int len = 0;
    for (byte[] p : parts) {
      len += p.length;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(len + 4);
    out.write(tag);
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else if (len <= 0xffff) {
      // A request is a few hundred bytes (DNS names are at most 253): two length bytes suffice.
      out.write(0x82);
      out.write(len >>> 8);
      out.write(len & 0xff);
    } else {
      throw new IllegalArgumentException("DER value of " + len + " bytes");
    }
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
