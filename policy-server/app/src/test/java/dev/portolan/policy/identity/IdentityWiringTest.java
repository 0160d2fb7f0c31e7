package dev.portolan.policy.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.api.identity.CertifyResponse;
import dev.portolan.policy.grpc.GrpcServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The whole application in manifests mode with the development switch: Certify is served on the
 * proxy-facing gRPC port next to Destination, and the trust anchor lands at the configured path.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "portolan.grpc.port=0",
      "portolan.manifests.dir=../../examples",
      "portolan.identity.insecure-accept-any-token=true",
      "portolan.identity.leaf-lifetime=2h"
    })
class IdentityWiringTest {
  static final Path DIR = tempDir();

  @Autowired GrpcServer grpc;
  @Autowired MeterRegistry registry;
  @Autowired PrometheusMeterRegistry prometheus;

  static Path tempDir() {
    try {
      return Files.createTempDirectory("portolan-identity-wiring");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.identity.trust-anchor-out", () -> DIR.resolve("anchor.pem").toString());
  }

  @Test
  void certify_is_served_on_the_grpc_port_and_chains_to_the_written_anchor() throws Exception {
    ManagedChannel ch =
        ManagedChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    try {
      CertifyResponse r =
          CertifyClient.stub(ch)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .certify(
                  CertifyClient.request(
                      ManifestsCertifyTest.WEB,
                      "whatever",
                      Csrs.forIdentity(ManifestsCertifyTest.WEB)));

      CertifyClient.validate(
          r, Pem.certificates(Pem.read(DIR.resolve("anchor.pem")), "anchor").getFirst());
      var leaf = CertifyClient.certificate(r.getLeafCertificate());
      assertThat(leaf.getNotAfter().getTime() - leaf.getNotBefore().getTime())
          .isEqualTo(TimeUnit.HOURS.toMillis(2) + TimeUnit.SECONDS.toMillis(20));
      assertThat(
              registry
                  .get(IdentityMetrics.CERTIFY)
                  .tag("result", "issued")
                  .tag("reason", "ok")
                  .counter()
                  .count())
          .isEqualTo(1.0);
      // The names docs/identity.md promises, as Prometheus sees them.
      assertThat(prometheus.scrape())
          .containsPattern(
              "portolan_identity_certify_total\\{[^}]*reason=\"ok\",result=\"issued\"[^}]*} 1.0")
          .containsPattern(
              "portolan_identity_certify_total\\{[^}]*reason=\"key_type\",result=\"refused\"[^}]*} 0.0")
          .containsPattern("portolan_identity_issuer_expiry_seconds\\{[^}]*} 1.[0-9.]+E9");
    } finally {
      ch.shutdownNow();
    }
  }
}
