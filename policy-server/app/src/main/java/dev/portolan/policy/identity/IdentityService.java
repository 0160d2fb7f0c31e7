package dev.portolan.policy.identity;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.portolan.api.identity.CertifyRequest;
import dev.portolan.api.identity.CertifyResponse;
import dev.portolan.api.identity.IdentityGrpc;
import dev.portolan.policy.identity.CertifyRefused.Reason;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code io.linkerd.proxy.identity.Identity/Certify}: checks the identity's shape, the CSR, then
 * the token (the one step that may call the API server), and signs a leaf. Every answer is counted
 * by reason; refusals carry a gRPC code and a short message (docs/identity.md).
 */
public final class IdentityService extends IdentityGrpc.IdentityImplBase {
  private static final Logger log = LoggerFactory.getLogger(IdentityService.class);

  private final IdentityDomain domain;
  private final TokenAuthenticator authenticator;
  private final IssuerSource issuer;
  private final CertificateAuthority ca;
  private final IdentityMetrics metrics;

  public IdentityService(
      IdentityDomain domain,
      TokenAuthenticator authenticator,
      IssuerSource issuer,
      CertificateAuthority ca,
      IdentityMetrics metrics) {
    this.domain = domain;
    this.authenticator = authenticator;
    this.issuer = issuer;
    this.ca = ca;
    this.metrics = metrics;
    if (issuer instanceof IssuerSource.Fixed fixed) {
      metrics.issuerExpiry(fixed.credentials().issuer().getNotAfter().toInstant());
    }
  }

  /** The issuer this service signs with; the gRPC port's own certificate comes from it too. */
  public IssuerSource issuer() {
    return issuer;
  }

  /** The shape of identities this service issues. */
  public IdentityDomain domain() {
    return domain;
  }

  @Override
  public void certify(CertifyRequest request, StreamObserver<CertifyResponse> response) {
    String identity = request.getIdentity();
    try {
      CertifyResponse answer = certify(request);
      metrics.issued();
      response.onNext(answer);
      response.onCompleted();
    } catch (CertifyRefused r) {
      metrics.refused(r.reason());
      log.info(
          "identity: refused {} ({}): {}",
          IdentityDomain.shown(identity),
          r.reason().tag(),
          r.getMessage());
      response.onError(r.toStatus().asRuntimeException());
    } catch (RuntimeException e) {
      metrics.internalError();
      log.error("identity: Certify for {} failed", IdentityDomain.shown(identity), e);
      response.onError(
          Status.INTERNAL
              .withDescription("internal error; see the policy-server log")
              .asRuntimeException());
    }
  }

  private CertifyResponse certify(CertifyRequest request) throws CertifyRefused {
    String identity = request.getIdentity();
    ServiceAccount requested = domain.parse(identity);
    SubjectPublicKeyInfo key =
        CsrValidator.validate(request.getCertificateSigningRequest().toByteArray(), identity);
    ServiceAccount holder = authenticator.authenticate(request.getToken().toByteArray(), requested);
    if (!holder.equals(requested)) {
      throw new CertifyRefused(
          Reason.WRONG_SERVICE_ACCOUNT,
          "the token belongs to ServiceAccount "
              + holder
              + ", but the identity names ServiceAccount "
              + requested);
    }
    IssuerCredentials credentials = issuer.current();
    metrics.issuerExpiry(credentials.issuer().getNotAfter().toInstant());
    CertificateAuthority.Leaf leaf = ca.issue(credentials, key, identity);
    if (authenticator instanceof TokenAuthenticator.AcceptAnyToken) {
      // Loud on purpose: every such certificate is an identity nobody proved.
      log.warn(
          "identity: INSECURE: issued {} without checking the token"
              + " (portolan.identity.insecure-accept-any-token=true), valid until {}",
          identity,
          leaf.notAfter());
    } else {
      log.debug("identity: issued {}, valid until {}", identity, leaf.notAfter());
    }
    return response(leaf);
  }

  private static CertifyResponse response(CertificateAuthority.Leaf leaf) {
    Instant until = leaf.notAfter();
    CertifyResponse.Builder b =
        CertifyResponse.newBuilder()
            .setLeafCertificate(der(leaf.certificate()))
            .setValidUntil(
                Timestamp.newBuilder()
                    .setSeconds(until.getEpochSecond())
                    .setNanos(until.getNano()));
    for (X509Certificate c : leaf.intermediates()) {
      b.addIntermediateCertificates(der(c));
    }
    return b.build();
  }

  private static ByteString der(X509Certificate c) {
    try {
      return ByteString.copyFrom(c.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("cannot encode " + c.getSubjectX500Principal(), e);
    }
  }
}
