package dev.portolan.proxy.identity;

import com.google.protobuf.ByteString;
import dev.portolan.api.identity.CertifyResponse;
import dev.portolan.proxy.grpc.GrpcStatusException;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/** What a Certify call brought back: a usable certificate, or why not. */
final class CertifyAnswers {
  private CertifyAnswers() {}

  /**
   * The certificate in {@code answer}, checked: it parses, it is for this proxy's key and names its
   * identity, it chains to the trust anchors and is valid at {@code now}.
   *
   * @throws GeneralSecurityException saying what is wrong with it
   */
  static IdentityCertificate validate(
      CertifyResponse answer,
      String identity,
      KeyPair keys,
      TrustAnchors anchors,
      Instant now,
      long generation)
      throws GeneralSecurityException {

    CertificateFactory x509 = TrustAnchors.x509();
    X509Certificate leaf = parse(x509, answer.getLeafCertificate(), "leaf certificate");
    List<X509Certificate> intermediates = new ArrayList<>();
    for (ByteString der : answer.getIntermediateCertificatesList()) {
      intermediates.add(parse(x509, der, "intermediate certificate"));
    }
    if (!Arrays.equals(leaf.getPublicKey().getEncoded(), keys.getPublic().getEncoded())) {
      throw new CertificateException("the leaf certificate is for another key than this proxy's");
    }
    List<String> names = IdentityNames.dnsNames(leaf);
    if (!names.contains(identity)) {
      throw new CertificateException("the leaf certificate names " + names + ", not " + identity);
    }
    List<X509Certificate> chain = new ArrayList<>(intermediates.size() + 1);
    chain.add(leaf);
    chain.addAll(intermediates);
    try {
      anchors.verify(chain, now);
    } catch (CertPathValidatorException e) {
      throw new CertificateException(
          "the certificate does not verify against the trust anchors: " + e.getMessage(), e);
    }
    Instant expiry = leaf.getNotAfter().toInstant();
    if (answer.hasValidUntil() && answer.getValidUntil().getSeconds() > 0) {
      Instant validUntil =
          Instant.ofEpochSecond(
              answer.getValidUntil().getSeconds(), answer.getValidUntil().getNanos());
      if (validUntil.isBefore(expiry)) {
        expiry = validUntil;
      }
    }
    if (!now.isBefore(expiry)) {
      throw new CertificateException("the certificate expired at " + expiry);
    }
    return new IdentityCertificate(
        identity, keys.getPrivate(), leaf, intermediates, expiry, generation);
  }

  private static X509Certificate parse(CertificateFactory x509, ByteString der, String what)
      throws CertificateException {
    if (der.isEmpty()) {
      throw new CertificateException("the answer has an empty " + what);
    }
    try {
      return (X509Certificate)
          x509.generateCertificate(new ByteArrayInputStream(der.toByteArray()));
    } catch (CertificateException e) {
      throw new CertificateException("the " + what + " does not parse: " + e.getMessage(), e);
    }
  }

  /** The reason a Certify call failed, for counting. */
  static FailureReason classify(@Nullable Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLException) {
        return FailureReason.TLS;
      }
    }
    if (t instanceof GrpcStatusException s) {
      return switch (s.code()) {
        case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, RESOURCE_EXHAUSTED, ABORTED ->
            FailureReason.UNREACHABLE;
        default -> FailureReason.REFUSED;
      };
    }
    return FailureReason.UNREACHABLE;
  }

  /** The gRPC status and its causes, for the log and the state's reason. */
  static String describe(@Nullable Throwable t) {
    if (t instanceof GrpcStatusException s) {
      StringBuilder b = new StringBuilder(s.code().toString());
      if (s.description() != null) {
        b.append(' ').append(s.description());
      }
      for (Throwable c = s.getCause(); c != null; c = c.getCause()) {
        b.append(" <- ")
            .append(c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage());
      }
      return b.toString();
    }
    return String.valueOf(t);
  }
}
