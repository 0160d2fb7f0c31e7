package dev.portolan.policy.model;

/** A container (or init container) port of a Pod. {@code name} may be empty. */
public record ContainerPort(String name, int port, String protocol) {
  public boolean isTcp() {
    return protocol == null || protocol.isEmpty() || protocol.equalsIgnoreCase("TCP");
  }
}
