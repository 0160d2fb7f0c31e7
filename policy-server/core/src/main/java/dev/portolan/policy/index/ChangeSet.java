package dev.portolan.policy.index;

import java.util.Set;

/**
 * What a batch of changes touched: the namespaces whose objects (or Namespace object) changed, and
 * the IPs whose Pod or Service mapping changed. Subscriptions recompute only when they depend on
 * one of these.
 *
 * @param clients whether the batch changed something NetworkPolicies read about clients, in any
 *     namespace: a NetworkPolicy, a Namespace's labels, a Pod's labels, addresses or node, or a Pod
 *     added or removed. Per-client overlays of every topic may change then
 *     (docs/design/networkpolicy.md), not only those of the namespaces touched.
 */
public record ChangeSet(Set<String> namespaces, Set<String> ips, boolean clients) {
  public static final ChangeSet NONE = new ChangeSet(Set.of(), Set.of(), false);

  public ChangeSet(Set<String> namespaces, Set<String> ips) {
    this(namespaces, ips, false);
  }

  public ChangeSet {
    namespaces = Set.copyOf(namespaces);
    ips = Set.copyOf(ips);
  }

  public boolean isEmpty() {
    return namespaces.isEmpty() && ips.isEmpty();
  }
}
