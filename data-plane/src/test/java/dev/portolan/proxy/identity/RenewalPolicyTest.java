package dev.portolan.proxy.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RenewalPolicyTest {
  private static final RenewalPolicy P = RenewalPolicy.DEFAULT;

  @ParameterizedTest(name = "lifetime {0} s -> renew after {1} s")
  @CsvSource({
    "86400, 60480", // 24 h leaf: 70%
    "100, 70",
    "10, 10", // 7 s is under the 10 s floor
    "0, 10", // already expired: try again soon
    "-5, 10",
    "2592000, 86400" // 30 days: at most a day
  })
  void refreshes_at_70_percent_clamped_to_10s_and_24h(long lifetime, long expected) {
    assertThat(P.refreshIn(Duration.ofSeconds(lifetime))).isEqualTo(Duration.ofSeconds(expected));
  }

  @ParameterizedTest(name = "failure {0}, jitter {1} -> {2} ms")
  @CsvSource({
    "1, 0.0, 500",
    "1, 0.5, 750",
    "1, 0.999999, 999",
    "2, 0.5, 1500",
    "3, 0.5, 3000",
    "5, 0.0, 8000",
    "6, 0.999999, 29999", // 32 s capped to 30 s
    "40, 0.0, 15000" // no overflow however long the outage
  })
  void backs_off_exponentially_with_jitter_up_to_30s(int failures, double jitter, long millis) {
    assertThat(P.backoff(failures, jitter)).isEqualTo(Duration.ofMillis(millis));
  }
}
