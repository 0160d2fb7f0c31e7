package dev.portolan.policy.identity;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Start-up decisions: which issuer and which token check, from the settings and the mode. Any
 * contradiction stops the start with a message naming the settings involved.
 */
public final class IdentityBootstrap {
  private IdentityBootstrap() {}

  /**
   * Manifests mode: the issuer from the three PEM files when they are set, else a fresh trust
   * anchor and issuer; either way the trust anchor PEM is written where test-bed proxies read it.
   */
  public static IssuerSource manifestsIssuer(
      IdentityProperties p, IdentityDomain domain, Instant now) {
    IdentityProperties.Issuer i = p.issuer();
    Path anchorFile = i.trustAnchorFile();
    Path certificateFile = i.certificateFile();
    Path keyFile = i.keyFile();
    IssuerSource.Fixed source;
    if (anchorFile == null && certificateFile == null && keyFile == null) {
      IssuerCredentials c =
          CertificateAuthority.generate(
              "root." + domain.controlPlaneNamespace() + "." + domain.trustDomain(),
              "identity." + domain.controlPlaneNamespace() + "." + domain.trustDomain(),
              now,
              i.validity(),
              p.clockSkew());
      source = new IssuerSource.Fixed(c, "generated at start, valid until " + expiry(c));
    } else if (anchorFile != null && certificateFile != null && keyFile != null) {
      IssuerCredentials c =
          new IssuerCredentials(
                  Pem.certificates(Pem.read(anchorFile), anchorFile.toString()),
                  Pem.certificates(Pem.read(certificateFile), certificateFile.toString()),
                  Pem.privateKey(Pem.read(keyFile), keyFile.toString()))
              .check("issuer files", now);
      source =
          new IssuerSource.Fixed(c, "read from " + certificateFile + ", valid until " + expiry(c));
    } else {
      throw new IllegalArgumentException(
          "portolan.identity.issuer.trust-anchor-file, certificate-file and key-file go together:"
              + " set all three, or none to generate a trust anchor and issuer at start");
    }
    writeTrustAnchor(source.credentials(), p.trustAnchorPath());
    return source;
  }

  /** Manifests mode: the token file, the development switch, or a clear refusal for every call. */
  public static TokenAuthenticator manifestsAuthenticator(IdentityProperties p) {
    if (p.tokenFile() != null && p.insecureAcceptAnyToken()) {
      throw new IllegalArgumentException(
          "portolan.identity.token-file and portolan.identity.insecure-accept-any-token=true"
              + " contradict each other: choose one");
    }
    if (p.tokenFile() != null) {
      return new TokenFileAuthenticator(p.tokenFile());
    }
    if (p.insecureAcceptAnyToken()) {
      return new TokenAuthenticator.AcceptAnyToken();
    }
    return new TokenAuthenticator.NotConfigured();
  }

  /** Cluster mode: the manifests-only settings would silently do nothing, so refuse them. */
  public static void refuseManifestsSettings(IdentityProperties p) {
    List<String> set = new ArrayList<>();
    if (p.tokenFile() != null) {
      set.add("portolan.identity.token-file");
    }
    if (p.insecureAcceptAnyToken()) {
      set.add("portolan.identity.insecure-accept-any-token");
    }
    if (p.issuer().trustAnchorFile() != null
        || p.issuer().certificateFile() != null
        || p.issuer().keyFile() != null) {
      set.add("portolan.identity.issuer.*-file");
    }
    if (!set.isEmpty()) {
      throw new IllegalArgumentException(
          set
              + " apply to manifests mode only; with portolan.source=kubernetes tokens are checked"
              + " by TokenReview and the issuer is read from its Secret");
    }
  }

  private static void writeTrustAnchor(IssuerCredentials c, Path out) {
    try {
      Pem.writeAtomically(out, Pem.encode(c.trustAnchors()));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write the trust anchor to " + out + " (portolan.identity.trust-anchor-out)", e);
    }
  }

  private static Instant expiry(IssuerCredentials c) {
    return c.issuer().getNotAfter().toInstant();
  }
}
