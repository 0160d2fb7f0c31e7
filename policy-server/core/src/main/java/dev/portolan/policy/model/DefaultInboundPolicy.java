package dev.portolan.policy.model;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The values of {@code config.linkerd.io/default-inbound-policy} and of the install default
 * (docs/identity.md, "Default inbound policies and require-identity ports").
 */
public enum DefaultInboundPolicy {
  ALL_UNAUTHENTICATED("all-unauthenticated"),
  ALL_AUTHENTICATED("all-authenticated"),
  CLUSTER_UNAUTHENTICATED("cluster-unauthenticated"),
  CLUSTER_AUTHENTICATED("cluster-authenticated"),
  DENY("deny");

  private final String value;

  DefaultInboundPolicy(String value) {
    this.value = value;
  }

  public String value() {
    return value;
  }

  /** The policy written as {@code text} (trimmed, case-insensitive), or null when none is. */
  public static @Nullable DefaultInboundPolicy parse(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    for (DefaultInboundPolicy p : values()) {
      if (p.value.equals(t)) {
        return p;
      }
    }
    return null;
  }

  /** The words a report uses when {@code text} is not a policy. */
  public static String invalidReason() {
    return "not a default inbound policy (all-unauthenticated, all-authenticated,"
        + " cluster-unauthenticated, cluster-authenticated or deny)";
  }

  public boolean authenticated() {
    return this == ALL_AUTHENTICATED || this == CLUSTER_AUTHENTICATED;
  }

  @Override
  public String toString() {
    return value;
  }
}
