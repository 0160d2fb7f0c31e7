package dev.portolan.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portolan.proxy.discovery.Limits;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The eviction, cap and reconnect settings (docs/proxy.md). */
class ProxyConfigLimitsTest {
  @Test
  void defaults_and_overrides() {
    assertThat(ProxyConfig.fromEnv(Map.of("PORTOLAN_TRANSPORT", "epoll")).discoveryLimits())
        .isEqualTo(Limits.DEFAULT);
    Limits l =
        ProxyConfig.fromEnv(
                Map.of(
                    "PORTOLAN_TRANSPORT", "epoll",
                    "PORTOLAN_DISCOVERY_IDLE_TIMEOUT", "5s",
                    "PORTOLAN_MAX_DESTINATIONS", "50",
                    "PORTOLAN_CONTROL_PLANE_BACKOFF_BASE", "200ms",
                    "PORTOLAN_CONTROL_PLANE_BACKOFF_MAX", "2s"))
            .discoveryLimits();
    assertThat(l)
        .isEqualTo(
            new Limits(Duration.ofSeconds(5), 50, Duration.ofMillis(200), Duration.ofSeconds(2)));
  }

  @Test
  void a_bad_value_is_named() {
    assertThatThrownBy(() ->
            ProxyConfig.fromEnv(
                Map.of("PORTOLAN_TRANSPORT", "epoll", "PORTOLAN_MAX_DESTINATIONS", "many")))
        .hasMessageContaining("PORTOLAN_MAX_DESTINATIONS='many'");
    assertThatThrownBy(() ->
            ProxyConfig.fromEnv(
                Map.of("PORTOLAN_TRANSPORT", "epoll", "PORTOLAN_MAX_DESTINATIONS", "0")))
        .hasMessageContaining("max destinations must be at least 1");
  }

  @Test
  void the_cap_on_connections_in_detection_defaults_to_1024_and_is_checked() {
    assertThat(ProxyConfig.fromEnv(Map.of("PORTOLAN_TRANSPORT", "epoll")).maxDetecting())
        .isEqualTo(1024);
    assertThat(
            ProxyConfig.fromEnv(
                    Map.of("PORTOLAN_TRANSPORT", "epoll", "PORTOLAN_MAX_DETECTING", "64"))
                .maxDetecting())
        .isEqualTo(64);
    assertThatThrownBy(() ->
            ProxyConfig.fromEnv(
                Map.of("PORTOLAN_TRANSPORT", "epoll", "PORTOLAN_MAX_DETECTING", "0")))
        .hasMessageContaining("PORTOLAN_MAX_DETECTING='0' must be at least 1");
    assertThatThrownBy(() ->
            ProxyConfig.fromEnv(
                Map.of("PORTOLAN_TRANSPORT", "epoll", "PORTOLAN_MAX_DETECTING", "lots")))
        .hasMessageContaining("PORTOLAN_MAX_DETECTING='lots'");
  }
}
