package dev.portolan.proxy.identity;

import java.time.Duration;
import java.time.Instant;

/**
 * How close a certificate is to expiry, in steps of its lifetime: while renewal fails, the proxy
 * warns once when the outage begins and once more as each step is crossed (docs/identity.md,
 * "Rotation and expiry"), instead of once a minute for the hours a 24 h certificate can outlive its
 * control plane. Renewal starts with 30 % left, so the steps below all lie in that window.
 */
final class ExpirySteps {
  /** Remaining fractions of the lifetime, in thousandths, that each begin a step. */
  private static final int[] STEPS_PER_MILLE = {250, 100, 50, 10};

  private ExpirySteps() {}

  /**
   * 0 while more than 25 % of the lifetime is left, then 1, 2, 3, 4 once at most 25 %, 10 %, 5 %, 1
   * % is left, and 5 once expired.
   */
  static int step(Instant notBefore, Instant expiry, Instant now) {
    if (!now.isBefore(expiry)) {
      return STEPS_PER_MILLE.length + 1;
    }
    long lifetime = Math.max(1, Duration.between(notBefore, expiry).toMillis());
    long left = Duration.between(now, expiry).toMillis();
    int step = 0;
    for (int perMille : STEPS_PER_MILLE) {
      if (left * 1000 <= lifetime * perMille) {
        step++;
      }
    }
    return step;
  }

  /** What a step means, for the WARN line. */
  static String describe(int step) {
    return switch (step) {
      case 0 -> "more than 25% of its lifetime left";
      case 5 -> "expired";
      default -> "at most " + STEPS_PER_MILLE[step - 1] / 10 + "% of its lifetime left";
    };
  }
}
