package dev.portolan.inject;

import java.util.Map;
import java.util.Optional;

/**
 * The annotations of a Namespace, which carry {@code linkerd.io/inject} and the defaults for its
 * Pods. The policy-server answers from its index snapshot; the command line from the files it is
 * given.
 */
@FunctionalInterface
public interface NamespaceLookup {
  /** No Namespace is known. */
  NamespaceLookup NONE = name -> Optional.empty();

  /**
   * The Namespace's annotations; empty when the Namespace is not known (not in the files, or not
   * yet seen by the index), which the injector reports in a warning.
   */
  Optional<Map<String, String>> annotations(String namespace);

  /** A fixed set of Namespaces, by name. */
  static NamespaceLookup of(Map<String, Map<String, String>> byName) {
    Map<String, Map<String, String>> copy = Map.copyOf(byName);
    return name -> Optional.ofNullable(copy.get(name));
  }
}
