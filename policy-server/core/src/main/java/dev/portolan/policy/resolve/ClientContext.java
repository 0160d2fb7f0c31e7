package dev.portolan.policy.resolve;

/**
 * Who is asking: from the context token of a Destination request. Empty strings when unknown. This
 * is the seam for NetworkPolicy-aware answers (docs/design/networkpolicy.md).
 */
public record ClientContext(String namespace, String nodeName, String pod) {
  public static final ClientContext UNKNOWN = new ClientContext("", "", "");

  public boolean isKnown() {
    return !namespace.isEmpty();
  }
}
