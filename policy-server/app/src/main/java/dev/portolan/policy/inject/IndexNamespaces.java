package dev.portolan.policy.inject;

import dev.portolan.inject.NamespaceLookup;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.model.NamespaceInfo;
import java.util.Map;
import java.util.Optional;

/**
 * Namespace annotations from the index's current snapshot: no API call on the admission path. A
 * Namespace created a moment before its first Pod may not be in the snapshot yet; the injector then
 * says so in a warning (docs/injector.md).
 */
final class IndexNamespaces implements NamespaceLookup {
  private final Index index;

  IndexNamespaces(Index index) {
    this.index = index;
  }

  @Override
  public Optional<Map<String, String>> annotations(String namespace) {
    NamespaceInfo ns = index.snapshot().namespace(namespace);
    return ns == null ? Optional.empty() : Optional.of(ns.annotations());
  }
}
