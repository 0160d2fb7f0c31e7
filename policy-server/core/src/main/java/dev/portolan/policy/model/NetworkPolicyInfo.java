package dev.portolan.policy.model;

/**
 * A NetworkPolicy. Stored and counted now; its rules are evaluated by the NetworkPolicy-aware
 * rewrite (docs/design/networkpolicy.md) in a later change, through the client seam of the
 * resolver.
 */
public record NetworkPolicyInfo(String namespace, String name, LabelSelector podSelector)
    implements Resource {
  @Override
  public Kind kind() {
    return Kind.NETWORK_POLICY;
  }
}
