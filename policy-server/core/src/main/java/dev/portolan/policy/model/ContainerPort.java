package dev.portolan.policy.model;

import org.jspecify.annotations.Nullable;

/** A container (or init container) port of a Pod. {@code name} may be empty. */
public record ContainerPort(String name, int port, @Nullable String protocol) {
  public boolean isTcp() {
    return protocol == null || protocol.isEmpty() || protocol.equalsIgnoreCase("TCP");
  }
}
