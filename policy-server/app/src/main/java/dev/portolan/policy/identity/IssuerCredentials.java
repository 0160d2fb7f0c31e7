package dev.portolan.policy.identity;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the CA signs with: the trust anchors the proxies trust, the issuer certificate (first in
 * {@code chain}, followed by any intermediates between it and an anchor) and the issuer's key.
 */
public record IssuerCredentials(
    List<X509Certificate> trustAnchors, List<X509Certificate> chain, PrivateKey key) {

  public IssuerCredentials {
    trustAnchors = List.copyOf(trustAnchors);
    chain = List.copyOf(chain);
  }

  public X509Certificate issuer() {
    return chain.getFirst();
  }

  /**
   * Checks that these credentials can sign leaves the proxies accept: an EC P-256 key that belongs
   * to the issuer certificate, an issuer that is a CA, and a chain that validates to one of the
   * anchors at {@code now}. The message names {@code origin} (a Secret, a file) and the problem.
   */
  public IssuerCredentials check(String origin, Instant now) {
    if (trustAnchors.isEmpty()) {
      throw new IllegalArgumentException(origin + ": no trust anchor certificate");
    }
    if (chain.isEmpty()) {
      throw new IllegalArgumentException(origin + ": no issuer certificate");
    }
    if (!(key instanceof ECPrivateKey ec)
        || ec.getParams().getCurve().getField().getFieldSize() != 256) {
      throw new IllegalArgumentException(
          origin + ": the issuer key must be EC P-256 (got " + key.getAlgorithm() + ")");
    }
    if (!keyMatches()) {
      throw new IllegalArgumentException(
          origin + ": the issuer key does not belong to the issuer certificate");
    }
    if (issuer().getBasicConstraints() < 0) {
      throw new IllegalArgumentException(
          origin
              + ": the issuer certificate "
              + issuer().getSubjectX500Principal()
              + " is not a CA (basicConstraints cA=false)");
    }
    Instant notAfter = issuer().getNotAfter().toInstant();
    Instant notBefore = issuer().getNotBefore().toInstant();
    // Said plainly, because an expired issuer is the failure an operator will actually meet.
    if (now.isAfter(notAfter) || now.isBefore(notBefore)) {
      throw new IllegalArgumentException(
          origin
              + ": the issuer certificate "
              + issuer().getSubjectX500Principal()
              + (now.isAfter(notAfter)
                  ? " expired at " + notAfter
                  : " is not valid before " + notBefore)
              + "; rotate it (docs/identity.md)");
    }
    validateChain(origin, now);
    return this;
  }

  private boolean keyMatches() {
    try {
      byte[] probe = "portolan issuer key check".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance("SHA256withECDSA");
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      s.initVerify(issuer().getPublicKey());
      s.update(probe);
      return s.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private void validateChain(String origin, Instant now) {
    try {
      var path = CertificateFactory.getInstance("X.509").generateCertPath(chain);
      Set<TrustAnchor> anchors =
          trustAnchors.stream().map(a -> new TrustAnchor(a, null)).collect(Collectors.toSet());
      PKIXParameters params = new PKIXParameters(anchors);
      // Revocation lists are not part of a mesh CA: the short leaf lifetime stands in for them.
      params.setRevocationEnabled(false);
      params.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX").validate(path, params);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          origin
              + ": the issuer certificate "
              + issuer().getSubjectX500Principal()
              + " (valid "
              + issuer().getNotBefore().toInstant()
              + " to "
              + issuer().getNotAfter().toInstant()
              + ") does not validate against the trust anchor: "
              + e.getMessage(),
          e);
    }
  }
}
