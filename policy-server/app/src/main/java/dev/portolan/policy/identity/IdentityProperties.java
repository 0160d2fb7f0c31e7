package dev.portolan.policy.identity;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings under {@code portolan.identity.*} (docs/identity.md). The control-plane namespace and
 * trust domain that shape identities are the global {@code portolan.*} ones.
 *
 * @param enabled serve Identity/Certify at all
 * @param leafLifetime how long an issued leaf is valid (cut to the issuer's expiry)
 * @param clockSkew how far before issuance a leaf's notBefore is set
 * @param tokenFile manifests mode: lines {@code <namespace>/<serviceaccount> <token>}
 * @param insecureAcceptAnyToken manifests mode, development only: no token check at all
 * @param tokenAudiences cluster mode: audiences the TokenReview asks for (empty: the API server's)
 * @param apiTimeout cluster mode: how long Certify waits for the API server (TokenReview, Secret)
 * @param trustAnchorOut manifests mode: where the trust anchor PEM is written (default {@code
 *     ${java.io.tmpdir}/portolan/trust-anchor.pem})
 */
@ConfigurationProperties("portolan.identity")
public record IdentityProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("24h") Duration leafLifetime,
    @DefaultValue("20s") Duration clockSkew,
    @DefaultValue Issuer issuer,
    @Nullable Path tokenFile,
    @DefaultValue("false") boolean insecureAcceptAnyToken,
    @DefaultValue List<String> tokenAudiences,
    @DefaultValue("5s") Duration apiTimeout,
    @Nullable Path trustAnchorOut) {

  /**
   * @param secretName cluster mode: the Secret holding ca.crt, tls.crt, tls.key
   * @param secretNamespace cluster mode: its namespace (default: the control-plane namespace)
   * @param refresh cluster mode: how long a read Secret is used before it is read again
   * @param trustAnchorFile manifests mode: PEM trust anchor(s); with the two below, instead of
   *     generating
   * @param certificateFile manifests mode: PEM issuer certificate (then any intermediates)
   * @param keyFile manifests mode: PEM issuer key (PKCS#8 or SEC1, unencrypted)
   * @param validity manifests mode: lifetime of the generated trust anchor and issuer
   */
  public record Issuer(
      @DefaultValue("portolan-identity-issuer") String secretName,
      @Nullable String secretNamespace,
      @DefaultValue("10s") Duration refresh,
      @Nullable Path trustAnchorFile,
      @Nullable Path certificateFile,
      @Nullable Path keyFile,
      @DefaultValue("365d") Duration validity) {}

  /** The defaults, for tests and tools that build the service without Spring. */
  public static IdentityProperties defaults() {
    return new IdentityProperties(
        true,
        Duration.ofHours(24),
        Duration.ofSeconds(20),
        new Issuer(
            "portolan-identity-issuer",
            null,
            Duration.ofSeconds(10),
            null,
            null,
            null,
            Duration.ofDays(365)),
        null,
        false,
        List.of(),
        Duration.ofSeconds(5),
        null);
  }

  public Path trustAnchorPath() {
    return trustAnchorOut != null
        ? trustAnchorOut
        : Path.of(System.getProperty("java.io.tmpdir"), "portolan", "trust-anchor.pem");
  }
}
