package dev.portolan.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/** Series of a destination without connections or traffic for the idle timeout leave /metrics. */
class EvictionOfSeriesTest {
  @Test
  void idle_targets_lose_their_series_busy_and_open_ones_keep_them() {
    Metrics m = new Metrics();
    Duration idle = Duration.ofMillis(200);
    m.counter("tcp_open_total", Metrics.src("outbound", "10.0.0.1:1")).increment();
    m.histogram("response_latency_ms", Metrics.src("outbound", "10.0.0.1:1")).observe(3);
    LongAdder open = m.gauge("tcp_open_connections", Metrics.src("outbound", "10.0.0.2:2"));
    open.increment();
    LongAdder busy = m.counter("tcp_read_bytes_total", Metrics.src("outbound", "10.0.0.3:3"));
    m.counter("discovery_destinations_refused_total").increment();
    m.evictIdleTargets(idle); // first sight of each target

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> {
          busy.increment();
          m.evictIdleTargets(idle);
          return !m.render().contains("10.0.0.1:1");
        });
    String text = m.render();
    assertThat(text).contains("target_addr=\"10.0.0.2:2\"").contains("target_addr=\"10.0.0.3:3\"");
    assertThat(text).contains("discovery_destinations_refused_total 1");

    open.decrement(); // its last connection closed: idle from now
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> {
          busy.increment();
          m.evictIdleTargets(idle);
          return !m.render().contains("10.0.0.2:2");
        });
    assertThat(m.render()).contains("10.0.0.3:3");
  }
}
