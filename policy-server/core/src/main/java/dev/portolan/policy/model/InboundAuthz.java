package dev.portolan.policy.model;

import java.util.List;
import org.jspecify.annotations.Nullable;

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
 * @param networkPolicies the NetworkPolicies isolating the port that narrowed {@code
 *     authorizations} to the client networks they allow (docs/design/networkpolicy.md, <i>The
 *     tunnel keeps the port rules</i>); empty when none did
 * @param probeRoute the kubelet's HTTP probes of the port, admitted in addition to {@code
 *     authorizations}; null when the Pod has none on the port (or they are not admitted there)
 */
public record InboundAuthz(
    DefaultInboundPolicy policy,
    Provenance source,
    boolean requireIdentity,
    List<Authorization> authorizations,
    List<TokenReport> invalidTokens,
    List<ObjectRef> networkPolicies,
    @Nullable ProbeRoute probeRoute) {
  public InboundAuthz {
    authorizations = List.copyOf(authorizations);
    invalidTokens = List.copyOf(invalidTokens);
    networkPolicies = List.copyOf(networkPolicies);
  }

  /** Who may connect, without probe authorizations. */
  public InboundAuthz(
      DefaultInboundPolicy policy,
      Provenance source,
      boolean requireIdentity,
      List<Authorization> authorizations,
      List<TokenReport> invalidTokens,
      List<ObjectRef> networkPolicies) {
    this(policy, source, requireIdentity, authorizations, invalidTokens, networkPolicies, null);
  }

  /** The same with the kubelet's probes of the port admitted as well. */
  public InboundAuthz withProbeRoute(@Nullable ProbeRoute route) {
    return new InboundAuthz(
        policy, source, requireIdentity, authorizations, invalidTokens, networkPolicies, route);
  }

  /** Who may connect by the default inbound policy alone, no NetworkPolicy narrowing it. */
  public InboundAuthz(
      DefaultInboundPolicy policy,
      Provenance source,
      boolean requireIdentity,
      List<Authorization> authorizations,
      List<TokenReport> invalidTokens) {
    this(policy, source, requireIdentity, authorizations, invalidTokens, List.of());
  }

  /** One line for explain: the policy, where it came from, and the require-identity override. */
  public String summary() {
    return policy.value()
        + " from "
        + source.summary()
        + (requireIdentity
            ? "; port in " + Annotations.REQUIRE_IDENTITY_INBOUND_PORTS + ": meshed clients only"
            : "")
        + (networkPolicies.isEmpty()
            ? ""
            : "; narrowed to the clients NetworkPolicy "
                + String.join(", ", networkPolicies.stream().map(ObjectRef::toString).toList())
                + " lets reach the port")
        + (probeRoute == null
            ? ""
            : "; kubelet probes GET " + String.join(", ", probeRoute.paths()) + " admitted");
  }
}
