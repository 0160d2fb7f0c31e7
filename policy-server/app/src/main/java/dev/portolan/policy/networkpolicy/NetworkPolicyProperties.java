package dev.portolan.policy.networkpolicy;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code portolan.network-policy.*}: how NetworkPolicies shape the rewrite to the inbound proxy
 * port (docs/networkpolicy.md).
 *
 * @param rewrite {@code aware} (default): withhold the rewrite from a client the policies let reach
 *     the application port but not the inbound port; {@code always}: rewrite for everyone, as
 *     Linkerd does
 */
@ConfigurationProperties("portolan.network-policy")
public record NetworkPolicyProperties(@DefaultValue("aware") Rewrite rewrite) {

  /** The two behaviours. */
  public enum Rewrite {
    AWARE,
    ALWAYS
  }
}
