package dev.portolan.policy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portolan.policy.identity.CertificateAuthority;
import dev.portolan.policy.identity.IssuerSource;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.Test;

/** The gRPC port's TLS settings and its own certificate, without a server. */
class GrpcTlsSettingsTest {
  static final String NAME = GrpcTlsTest.SERVER;

  /** A clock the test moves. */
  static final class TestClock extends Clock {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void tls_without_the_identity_service_refuses_to_start_naming_both_settings() {
    assertThatThrownBy(() ->
            GrpcTls.fromSettings(
                new GrpcTlsProperties(GrpcTlsProperties.Mode.REQUIRED, "portolan-policy"),
                null,
                null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("portolan.grpc.tls=required")
        .hasMessageContaining("portolan.identity.enabled");
    assertThat(GrpcTls.fromSettings(GrpcTlsProperties.defaults(), null, null)).isNull();
  }

  @Test
  void the_certificate_names_the_port_and_is_renewed_at_seventy_percent() throws Exception {
    TestClock clock = new TestClock();
    var creds =
        CertificateAuthority.generate(
            "root", "issuer", clock.now, Duration.ofDays(1), Duration.ofSeconds(20));
    SelfCertificate self =
        new SelfCertificate(
            new IssuerSource.Fixed(creds, "test"), Duration.ofSeconds(80), NAME, clock);
    self.init();
    X509ExtendedKeyManager km = self.keyManager();

    String first = km.chooseEngineServerAlias("EC", null, null);
    X509Certificate[] chain = km.getCertificateChain(first);
    assertThat(chain[0].getSubjectAlternativeNames()).containsExactly(List.of(2, NAME));
    assertThat(chain[1]).isEqualTo(creds.issuer());
    assertThat(km.chooseEngineServerAlias("RSA", null, null)).isNull();

    // notBefore is 20 s back: 70 % of the 100 s span falls 50 s after issuance.
    clock.now = clock.now.plusSeconds(49);
    assertThat(km.chooseEngineServerAlias("EC", null, null)).isEqualTo(first);
    clock.now = clock.now.plusSeconds(2);
    String second = km.chooseEngineServerAlias("EC", null, null);
    assertThat(second).isNotEqualTo(first);
    assertThat(km.getCertificateChain(second)[0].getSerialNumber())
        .isNotEqualTo(chain[0].getSerialNumber());
    // A handshake that chose the old alias just before still gets a matching key and chain.
    assertThat(km.getCertificateChain(first)[0]).isEqualTo(chain[0]);
    assertThat(km.getPrivateKey(first)).isNotNull();

    // Client chains are verified against the issuer's anchors.
    assertThat(self.trustManager().getAcceptedIssuers())
        .containsExactlyElementsOf(creds.trustAnchors());
  }
}
