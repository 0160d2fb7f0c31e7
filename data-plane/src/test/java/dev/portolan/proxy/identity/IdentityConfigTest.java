package dev.portolan.proxy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IdentityConfigTest {
  @Test
  void defaults_name_the_identity_token_anchors_and_policy_server() {
    IdentityConfig c =
        IdentityConfig.fromEnv(
            Map.of("PORTOLAN_SERVICE_ACCOUNT", "web", "PORTOLAN_NAMESPACE", "shop"));
    assertThat(c.mode()).isEqualTo(IdentityConfig.Mode.TLS);
    assertThat(c.identity()).isEqualTo("web.shop.serviceaccount.identity.portolan.cluster.local");
    assertThat(c.address()).isEqualTo("127.0.0.1:8086");
    assertThat(c.tokenFile()).isEqualTo(Path.of("/var/run/secrets/tokens/portolan-identity-token"));
    assertThat(c.trustAnchors()).isEqualTo(Path.of(IdentityConfig.DEFAULT_TRUST_ANCHORS));
    assertThat(c.serverName())
        .isEqualTo("portolan-policy.portolan.serviceaccount.identity.portolan.cluster.local");
  }

  @Test
  void every_setting_can_be_given() {
    IdentityConfig c =
        IdentityConfig.fromEnv(
            Map.of(
                "PORTOLAN_IDENTITY", "plaintext",
                "PORTOLAN_SERVICE_ACCOUNT", "web",
                "PORTOLAN_NAMESPACE", "shop",
                "PORTOLAN_CONTROL_NAMESPACE", "mesh",
                "PORTOLAN_TRUST_DOMAIN", "example.org",
                "PORTOLAN_POLICY_SERVER", "10.0.0.1:8086",
                "PORTOLAN_IDENTITY_TOKEN_FILE", "/tmp/token",
                "PORTOLAN_IDENTITY_TRUST_ANCHORS", "/tmp/ca.pem",
                "PORTOLAN_IDENTITY_SERVER_NAME", "identity.mesh"));
    assertThat(c)
        .isEqualTo(
            new IdentityConfig(
                IdentityConfig.Mode.PLAINTEXT,
                "web.shop.serviceaccount.identity.mesh.example.org",
                "10.0.0.1:8086",
                Path.of("/tmp/token"),
                Path.of("/tmp/ca.pem"),
                "identity.mesh"));
    assertThat(
            IdentityConfig.fromEnv(
                    Map.of(
                        "PORTOLAN_IDENTITY_ADDRESS", "identity:8080",
                        "PORTOLAN_POLICY_SERVER", "x:1"))
                .address())
        .isEqualTo("identity:8080");
    assertThat(IdentityConfig.fromEnv(Map.of("PORTOLAN_IDENTITY", "disabled")).mode())
        .isEqualTo(IdentityConfig.Mode.DISABLED);
  }

  @Test
  void bad_values_name_the_variable_and_the_value() {
    assertThatThrownBy(() -> IdentityConfig.fromEnv(Map.of("PORTOLAN_IDENTITY", "maybe")))
        .hasMessage("PORTOLAN_IDENTITY: 'maybe' is not one of tls, plaintext, disabled");
    assertThatThrownBy(() -> IdentityConfig.fromEnv(Map.of("PORTOLAN_NAMESPACE", "Shop")))
        .hasMessageContaining("namespace 'Shop' is not a DNS label");
    assertThatThrownBy(() -> IdentityConfig.fromEnv(Map.of("PORTOLAN_TRUST_DOMAIN", "a..b")))
        .hasMessageContaining("trust domain 'a..b' is not a DNS name");
  }

  @Test
  void identity_names_are_dns_names() {
    assertThat(IdentityNames.of("web", "shop", "portolan", "cluster.local"))
        .isEqualTo("web.shop.serviceaccount.identity.portolan.cluster.local");
    assertThatThrownBy(() -> IdentityNames.of("", "shop", "portolan", "cluster.local"))
        .hasMessage("service account is empty");
    assertThatThrownBy(() -> IdentityNames.of("web", "-shop", "portolan", "cluster.local"))
        .hasMessageContaining("'-shop'");
    assertThatThrownBy(() -> IdentityNames.of("a".repeat(64), "shop", "portolan", "x"))
        .hasMessageContaining("1-63");
  }
}
