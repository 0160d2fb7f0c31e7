package dev.portolan.policy.index;

import java.util.Set;

/**
 * What a batch of changes touched: the namespaces whose objects (or Namespace object) changed, and
 * the IPs whose Pod or Service mapping changed. Subscriptions recompute only when they depend on
 * one of these.
 */
public record ChangeSet(Set<String> namespaces, Set<String> ips) {
  public static final ChangeSet NONE = new ChangeSet(Set.of(), Set.of());

  public ChangeSet {
    namespaces = Set.copyOf(namespaces);
    ips = Set.copyOf(ips);
  }

  public boolean isEmpty() {
    return namespaces.isEmpty() && ips.isEmpty();
  }
}
