package dev.portolan.proxy.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ExpiryStepsTest {
  static final Instant ISSUED = Instant.parse("2026-12-04T00:00:00Z");
  static final Instant EXPIRY = ISSUED.plus(Duration.ofHours(24));

  static int at(Duration sinceIssue) {
    return ExpirySteps.step(ISSUED, EXPIRY, ISSUED.plus(sinceIssue));
  }

  @Test
  void a_24_hour_certificate_steps_at_25_10_5_and_1_percent_left_then_expired() {
    assertThat(at(Duration.ZERO)).isZero();
    assertThat(at(Duration.ofMinutes(16 * 60 + 48))).as("70 %: renewal time").isZero();
    assertThat(at(Duration.ofHours(18).minusSeconds(1))).isZero();
    assertThat(at(Duration.ofHours(18))).as("6 h left = 25 %").isEqualTo(1);
    assertThat(at(Duration.ofMinutes(21 * 60 + 36))).as("2.4 h left = 10 %").isEqualTo(2);
    assertThat(at(Duration.ofMinutes(22 * 60 + 48))).as("72 min left = 5 %").isEqualTo(3);
    assertThat(at(Duration.ofSeconds(24 * 3600 - 864))).as("14.4 min left = 1 %").isEqualTo(4);
    assertThat(at(Duration.ofHours(24).minusMillis(1))).isEqualTo(4);
    assertThat(at(Duration.ofHours(24))).as("expired").isEqualTo(5);
    assertThat(at(Duration.ofHours(30))).isEqualTo(5);
  }

  @Test
  void each_step_is_described_for_the_warning() {
    assertThat(ExpirySteps.describe(0)).isEqualTo("more than 25% of its lifetime left");
    assertThat(ExpirySteps.describe(1)).isEqualTo("at most 25% of its lifetime left");
    assertThat(ExpirySteps.describe(4)).isEqualTo("at most 1% of its lifetime left");
    assertThat(ExpirySteps.describe(5)).isEqualTo("expired");
  }

  @Test
  void a_short_lived_certificate_steps_by_its_own_lifetime() {
    Instant issued = ISSUED;
    Instant expiry = issued.plusSeconds(100);
    assertThat(ExpirySteps.step(issued, expiry, issued.plusSeconds(70))).isZero();
    assertThat(ExpirySteps.step(issued, expiry, issued.plusSeconds(75))).isEqualTo(1);
    assertThat(ExpirySteps.step(issued, expiry, issued.plusSeconds(99))).isEqualTo(4);
    assertThat(ExpirySteps.step(issued, expiry, expiry)).isEqualTo(5);
  }
}
