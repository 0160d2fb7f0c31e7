package dev.portolan.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code tcp_tls_sni_total}: one series per destination and server name, bounded and escaped. */
class TlsSniMetricTest {
  @Test
  void counts_per_destination_and_name() {
    Metrics m = new Metrics();
    m.tlsSni("outbound", "10.0.0.1:443", "a.example");
    m.tlsSni("outbound", "10.0.0.1:443", "a.example");
    m.tlsSni("outbound", "10.0.0.1:443", "b.example");
    assertThat(m.render())
        .contains("# TYPE tcp_tls_sni_total counter\n")
        .contains(
            "tcp_tls_sni_total{direction=\"outbound\",target_addr=\"10.0.0.1:443\","
                + "sni=\"a.example\"} 2\n")
        .contains(
            "tcp_tls_sni_total{direction=\"outbound\",target_addr=\"10.0.0.1:443\","
                + "sni=\"b.example\"} 1\n");
  }

  @Test
  void a_hostile_name_is_escaped_and_cut_to_a_dns_names_length() {
    Metrics m = new Metrics();
    String hostile = "x\"} 9\nfake_total 1";
    m.tlsSni("inbound", "10.0.0.2:8443", hostile + "y".repeat(1000));
    String line =
        m.render().lines().filter(l -> l.startsWith("tcp_tls_sni_total")).findFirst().orElseThrow();
    assertThat(m.render()).doesNotContain("\nfake_total");
    assertThat(line).contains("sni=\"x\\\"} 9\\nfake_total 1y").endsWith("\"} 1");
    String value = hostile + "y".repeat(Metrics.MAX_SNI - hostile.length());
    assertThat(value).hasSize(Metrics.MAX_SNI);
    assertThat(
            m.value(
                "tcp_tls_sni_total",
                "direction",
                "inbound",
                "target_addr",
                "10.0.0.2:8443",
                "sni",
                value))
        .isEqualTo(1);
  }

  @Test
  void evicted_with_its_destination() {
    Metrics m = new Metrics();
    Duration idle = Duration.ofMillis(100);
    m.tlsSni("outbound", "10.0.0.3:443", "gone.example");
    m.evictIdleTargets(idle);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> {
          m.evictIdleTargets(idle);
          return !m.render().contains("gone.example");
        });
    assertThat(m.seriesCount()).isZero();
  }
}
