package dev.portolan.policy.identity;

import dev.portolan.policy.config.PortolanProperties;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the identity service: TokenReview and the issuer Secret with {@code
 * portolan.source=kubernetes}; the token file (or the development switch) and a generated or
 * file-based issuer otherwise. The service is a gRPC {@code BindableService} bean, which the gRPC
 * server adds to the proxy-facing port.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(
    name = "portolan.identity.enabled",
    havingValue = "true",
    matchIfMissing = true)
public class IdentityConfiguration {
  private static final Logger log = LoggerFactory.getLogger(IdentityConfiguration.class);

  @Bean
  IdentityService identityService(
      PortolanProperties portolan,
      IdentityProperties p,
      ObjectProvider<KubernetesClient> kubernetes,
      MeterRegistry registry) {
    Clock clock = Clock.systemUTC();
    IdentityDomain domain =
        new IdentityDomain(portolan.controlPlaneNamespace(), portolan.trustDomain());
    IssuerSource issuer;
    TokenAuthenticator authenticator;
    if ("kubernetes".equals(portolan.source())) {
      IdentityBootstrap.refuseManifestsSettings(p);
      KubernetesClient client = kubernetes.getObject();
      String configured = p.issuer().secretNamespace();
      String namespace = configured != null ? configured : portolan.controlPlaneNamespace();
      issuer =
          new SecretIssuer(
              client,
              namespace,
              p.issuer().secretName(),
              p.issuer().refresh(),
              p.apiTimeout(),
              clock);
      authenticator = new TokenReviewAuthenticator(client, p.tokenAudiences(), p.apiTimeout());
    } else {
      issuer = IdentityBootstrap.manifestsIssuer(p, domain, clock.instant());
      authenticator = IdentityBootstrap.manifestsAuthenticator(p);
      log.info("identity: trust anchor written to {}", p.trustAnchorPath().toAbsolutePath());
    }
    log.info(
        "identity: Certify for *{}; issuer: {}; tokens: {}; leaves valid {}",
        domain.suffix(),
        issuer.describe(),
        authenticator.describe(),
        p.leafLifetime());
    if (authenticator instanceof TokenAuthenticator.AcceptAnyToken) {
      log.warn(
          "identity: INSECURE: portolan.identity.insecure-accept-any-token=true — any caller gets"
              + " any identity it asks for. For development only; never in a shared cluster.");
    }
    return new IdentityService(
        domain,
        authenticator,
        issuer,
        new CertificateAuthority(p.leafLifetime(), p.clockSkew(), clock),
        new IdentityMetrics(registry));
  }
}
