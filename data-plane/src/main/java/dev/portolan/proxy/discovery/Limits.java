package dev.portolan.proxy.discovery;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The bounds of the proxy's destination state and of its reconnects to the control plane
 * (docs/proxy.md, "Eviction and caps" and "Reconnecting to the control plane").
 *
 * @param idleTimeout a destination no connection has used for this long loses its discovery streams
 *     and metric series ({@code PORTOLAN_DISCOVERY_IDLE_TIMEOUT}, 60 s)
 * @param maxDestinations at most this many original destinations are watched at once; a new one
 *     over the cap is relayed to its original destination as TCP without discovery ({@code
 *     PORTOLAN_MAX_DESTINATIONS}, 2,000: with its stream and series a destination costs a few KiB
 *     of heap, and the image's heap is 32 MiB)
 * @param backoffBase the first reconnect delay ({@code PORTOLAN_CONTROL_PLANE_BACKOFF_BASE}, 100
 *     ms); it doubles per failed attempt
 * @param backoffMax the largest reconnect delay before jitter ({@code
 *     PORTOLAN_CONTROL_PLANE_BACKOFF_MAX}, 5 s)
 */
public record Limits(
    Duration idleTimeout, int maxDestinations, Duration backoffBase, Duration backoffMax) {
  /** ±20 %: replicas restarted together are not hit by every proxy in the same millisecond. */
  public static final double JITTER = 0.2;

  public static final Limits DEFAULT =
      new Limits(Duration.ofSeconds(60), 2_000, Duration.ofMillis(100), Duration.ofSeconds(5));

  public Limits {
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("discovery idle timeout must be positive: " + idleTimeout);
    }
    if (maxDestinations < 1) {
      throw new IllegalArgumentException("max destinations must be at least 1: " + maxDestinations);
    }
    if (backoffBase.isNegative() || backoffBase.isZero() || backoffMax.compareTo(backoffBase) < 0) {
      throw new IllegalArgumentException(
          "control-plane backoff needs 0 < base <= max: base "
              + backoffBase
              + ", max "
              + backoffMax);
    }
  }

  /**
   * The delay before reconnect attempt {@code failures} (0 for the first): {@code min(max, base ×
   * 2^failures)} times a random factor in [0.8, 1.2].
   */
  public long backoffMillis(int failures) {
    long base = backoffBase.toMillis();
    long max = backoffMax.toMillis();
    long d = failures >= 30 ? max : Math.min(max, base << failures);
    double factor = 1 - JITTER + ThreadLocalRandom.current().nextDouble() * 2 * JITTER;
    return Math.max(1, Math.round(d * factor));
  }

  /** The longest delay the backoff can draw: its documented bound. */
  public Duration backoffBound() {
    return Duration.ofMillis(Math.round(backoffMax.toMillis() * (1 + JITTER)));
  }
}
