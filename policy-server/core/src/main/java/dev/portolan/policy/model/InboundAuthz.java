package dev.portolan.policy.model;

import java.util.List;

/**
 * Who may connect to one port of a Pod, with why (docs/design/inbound.md).
 *
 * @param policy the default inbound policy in force
 * @param source where {@code policy} came from: the Pod's or the Namespace's annotation, or the
 *     install default
 * @param requireIdentity the port is in the Pod's {@code proxy-require-identity-inbound-ports}:
 *     only meshed clients are admitted, whatever {@code policy} says
 * @param authorizations what the proxy enforces; empty means nobody is admitted
 * @param invalidTokens bad annotation values skipped on the way (each fell back to the next level)
 */
public record InboundAuthz(
    DefaultInboundPolicy policy,
    Provenance source,
    boolean requireIdentity,
    List<Authorization> authorizations,
    List<TokenReport> invalidTokens) {
  public InboundAuthz {
    authorizations = List.copyOf(authorizations);
    invalidTokens = List.copyOf(invalidTokens);
  }

  /** One line for explain: the policy, where it came from, and the require-identity override. */
  public String summary() {
    return policy.value()
        + " from "
        + source.summary()
        + (requireIdentity
            ? "; port in " + Annotations.REQUIRE_IDENTITY_INBOUND_PORTS + ": meshed clients only"
            : "");
  }
}
