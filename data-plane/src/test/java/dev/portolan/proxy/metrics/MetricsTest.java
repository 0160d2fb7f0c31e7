package dev.portolan.proxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void histogram_buckets_render_cumulative_and_are_shared_by_the_same_labels() {
    Metrics m = new Metrics();
    Metrics.Histogram a = m.histogram("lat_ms", "k", "v");
    Metrics.Histogram b = m.histogram("lat_ms", "k", "v");
    a.observe(0);
    a.observe(1);
    b.observe(3);
    b.observe(7);
    a.observe(60_000);
    assertThat(m.value("lat_ms_bucket", "k", "v", "le", "1")).isEqualTo(2);
    assertThat(m.value("lat_ms_bucket", "k", "v", "le", "2")).isEqualTo(2);
    assertThat(m.value("lat_ms_bucket", "k", "v", "le", "3")).isEqualTo(3);
    assertThat(m.value("lat_ms_bucket", "k", "v", "le", "10")).isEqualTo(4);
    assertThat(m.value("lat_ms_bucket", "k", "v", "le", "50000")).isEqualTo(4);
    assertThat(m.value("lat_ms_bucket", "k", "v", "le", "+Inf")).isEqualTo(5);
    assertThat(m.value("lat_ms_count", "k", "v")).isEqualTo(5);
    assertThat(m.value("lat_ms_sum", "k", "v")).isEqualTo(60_011);
    assertThat(m.render())
        .contains("lat_ms_bucket{k=\"v\",le=\"5\"} 3\n")
        .contains("lat_ms_bucket{k=\"v\",le=\"+Inf\"} 5\n");
  }
}
