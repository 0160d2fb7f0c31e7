package dev.portolan.policy.identity;

import static dev.portolan.policy.identity.IdentityDomain.shown;

import dev.portolan.policy.identity.CertifyRefused.Reason;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;

/**
 * Checks a proxy's PKCS#10 request: it parses, its self-signature verifies (the caller holds the
 * private key), the key is EC P-256, and its only subjectAltName is the DNS name of the identity
 * asked for. The subject is ignored: the leaf is built from the identity, not copied from the CSR.
 */
public final class CsrValidator {
  private CsrValidator() {}

  /** The request's public key, once every check has passed. */
  public static SubjectPublicKeyInfo validate(byte[] der, String identity) throws CertifyRefused {
    if (der.length == 0) {
      throw new CertifyRefused(Reason.BAD_CSR, "certificate_signing_request is empty");
    }
    PKCS10CertificationRequest csr;
    try {
      csr = new PKCS10CertificationRequest(der);
    } catch (IOException | RuntimeException e) {
      throw new CertifyRefused(
          Reason.BAD_CSR,
          "certificate_signing_request (" + der.length + " bytes) is not a DER PKCS#10 request");
    }
    SubjectPublicKeyInfo key = csr.getSubjectPublicKeyInfo();
    checkKeyType(key.getAlgorithm());
    checkSignature(csr);
    checkSan(csr, identity);
    return key;
  }

  private static void checkKeyType(AlgorithmIdentifier alg) throws CertifyRefused {
    if (!X9ObjectIdentifiers.id_ecPublicKey.equals(alg.getAlgorithm())) {
      throw new CertifyRefused(
          Reason.KEY_TYPE,
          "CSR key algorithm "
              + alg.getAlgorithm()
              + " is not EC; only EC P-256 keys are accepted");
    }
    // Named curves only: explicit curve parameters are legal ASN.1 but nobody should send them.
    if (!SECObjectIdentifiers.secp256r1.equals(alg.getParameters())) {
      throw new CertifyRefused(
          Reason.KEY_TYPE,
          "CSR EC key is not on P-256 (curve " + alg.getParameters() + "); only P-256 is accepted");
    }
  }

  private static void checkSignature(PKCS10CertificationRequest csr) throws CertifyRefused {
    boolean valid;
    try {
      valid =
          csr.isSignatureValid(
              new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo()));
    } catch (OperatorCreationException | PKCSException | RuntimeException e) {
      throw new CertifyRefused(
          Reason.BAD_CSR, "CSR signature cannot be checked: " + e.getMessage());
    }
    if (!valid) {
      throw new CertifyRefused(Reason.BAD_CSR, "CSR signature does not verify with its own key");
    }
  }

  private static void checkSan(PKCS10CertificationRequest csr, String identity)
      throws CertifyRefused {
    List<String> names = sanNames(csr);
    if (names.size() != 1 || !names.getFirst().equals("DNS:" + identity)) {
      String got = names.isEmpty() ? "no subjectAltName" : "subjectAltName " + names;
      throw new CertifyRefused(
          Reason.SAN_MISMATCH,
          "CSR has " + shown(got) + "; it must be exactly DNS:" + shown(identity));
    }
  }

  /** Every subjectAltName of the request, as {@code DNS:x}, {@code URI:x}, … */
  private static List<String> sanNames(PKCS10CertificationRequest csr) throws CertifyRefused {
    Attribute[] requests = csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest);
    if (requests.length == 0) {
      return List.of();
    }
    if (requests.length > 1 || requests[0].getAttrValues().size() != 1) {
      throw new CertifyRefused(Reason.BAD_CSR, "CSR carries more than one extension request");
    }
    GeneralNames san;
    try {
      Extensions ext = Extensions.getInstance(requests[0].getAttrValues().getObjectAt(0));
      san = GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName);
    } catch (RuntimeException e) {
      throw new CertifyRefused(Reason.BAD_CSR, "CSR extension request cannot be read");
    }
    List<String> names = new ArrayList<>();
    if (san != null) {
      for (GeneralName n : san.getNames()) {
        names.add(describe(n));
      }
    }
    return names;
  }

  private static String describe(GeneralName n) {
    ASN1Encodable v = n.getName();
    return switch (n.getTagNo()) {
      case GeneralName.dNSName -> "DNS:" + DERIA5String.getInstance(v).getString();
      case GeneralName.uniformResourceIdentifier ->
          "URI:" + DERIA5String.getInstance(v).getString();
      case GeneralName.rfc822Name -> "email:" + DERIA5String.getInstance(v).getString();
      case GeneralName.iPAddress -> "IP";
      default -> "name#" + n.getTagNo();
    };
  }
}
