package dev.portolan.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The reconnect backoff stays within its documented bounds (docs/proxy.md). */
class LimitsTest {
  @Test
  void backoff_doubles_from_the_base_caps_at_the_max_with_twenty_percent_jitter() {
    Limits l = Limits.DEFAULT;
    for (int i = 0; i < 1_000; i++) {
      assertThat(l.backoffMillis(0)).isBetween(80L, 120L);
      assertThat(l.backoffMillis(3)).isBetween(640L, 960L);
      assertThat(l.backoffMillis(10)).isBetween(4_000L, 6_000L);
      assertThat(l.backoffMillis(1_000)).isBetween(4_000L, 6_000L);
    }
    assertThat(l.backoffBound()).isEqualTo(Duration.ofSeconds(6));
  }

  @Test
  void nonsense_bounds_are_refused_with_the_reason() {
    assertThatThrownBy(() ->
            new Limits(Duration.ofSeconds(1), 1, Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessageContaining("0 < base <= max");
    assertThatThrownBy(
            () -> new Limits(Duration.ZERO, 1, Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .hasMessageContaining("idle timeout");
    assertThatThrownBy(() ->
            new Limits(Duration.ofSeconds(1), 0, Duration.ofSeconds(1), Duration.ofSeconds(1)))
        .hasMessageContaining("max destinations");
  }
}
