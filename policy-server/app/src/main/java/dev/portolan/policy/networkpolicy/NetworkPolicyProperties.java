package dev.portolan.policy.networkpolicy;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code portolan.network-policy.*}: how NetworkPolicies shape the rewrite to the inbound proxy
 * port (docs/networkpolicy.md).
 *
 * @param rewrite {@code aware} (default): withhold the rewrite from a client the policies let reach
 *     the application port but not the inbound port; {@code always}: rewrite for everyone, as
 *     Linkerd does
 * @param conflictsSettle how long the index must be quiet before the conflict report is computed
 *     (so the computation does not compete with the streams taking a change)
 * @param conflictsMaxDelay the longest a change waits to be reported while changes keep coming
 */
@ConfigurationProperties("portolan.network-policy")
public record NetworkPolicyProperties(
    @DefaultValue("aware") Rewrite rewrite,
    @DefaultValue("100ms") Duration conflictsSettle,
    @DefaultValue("1s") Duration conflictsMaxDelay) {
  static final Duration DEFAULT_SETTLE = Duration.ofMillis(100);
  static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(1);

  /** The two behaviours. */
  public enum Rewrite {
    AWARE,
    ALWAYS
  }
}
