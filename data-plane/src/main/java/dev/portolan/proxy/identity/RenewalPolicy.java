package dev.portolan.proxy.identity;

import java.time.Duration;

/**
 * When to renew and how to retry.
 *
 * @param minRefresh renew no sooner than this after an issue (Linkerd's 10 s)
 * @param maxRefresh renew no later than this after an issue (Linkerd's 24 h)
 * @param backoffMin the first retry after a failure waits about this long
 * @param backoffMax retries wait at most this long (each wait is doubled, then jittered to 50-100%)
 * @param warnEvery at most one WARN per this period about a failing renewal
 * @param certifyTimeout deadline of one Certify call
 */
public record RenewalPolicy(
    Duration minRefresh,
    Duration maxRefresh,
    Duration backoffMin,
    Duration backoffMax,
    Duration warnEvery,
    Duration certifyTimeout) {
  public static final RenewalPolicy DEFAULT =
      new RenewalPolicy(
          Duration.ofSeconds(10),
          Duration.ofHours(24),
          Duration.ofSeconds(1),
          Duration.ofSeconds(30),
          Duration.ofMinutes(1),
          Duration.ofSeconds(10));

  /**
   * 70% of {@code remaining}, clamped to [minRefresh, maxRefresh]: the last 30% of a certificate's
   * life is there to ride out a control-plane outage.
   */
  public Duration refreshIn(Duration remaining) {
    Duration at = Duration.ofMillis(Math.max(0, remaining.toMillis()) / 10 * 7);
    if (at.compareTo(minRefresh) < 0) {
      return minRefresh;
    }
    return at.compareTo(maxRefresh) > 0 ? maxRefresh : at;
  }

  /**
   * The wait before retry number {@code failures} (1 for the first failure in a row): doubled from
   * {@link #backoffMin} up to {@link #backoffMax}, then scaled by {@code 0.5 + jitter / 2} so that
   * proxies started together do not retry together.
   *
   * @param jitter uniform in [0, 1)
   */
  public Duration backoff(int failures, double jitter) {
    long base = backoffMin.toMillis();
    long max = backoffMax.toMillis();
    for (int i = 1; i < failures && base < max; i++) {
      base *= 2;
    }
    base = Math.min(base, max);
    return Duration.ofMillis((long) (base * (0.5 + jitter / 2)));
  }
}
