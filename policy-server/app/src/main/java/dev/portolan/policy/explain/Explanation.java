package dev.portolan.policy.explain;

import dev.portolan.api.v1.ExplainResponse;
import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.InboundAuthz;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.model.TokenReport;
import dev.portolan.policy.networkpolicy.Conflict;
import dev.portolan.policy.resolve.PortExplanation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An explained object at a snapshot version, worked out once from the core's decisions; {@link
 * #toJson()} and {@link #toProto()} only copy it into their encoding.
 */
public record Explanation(ObjectRef object, long version, List<Port> ports) {
  public Explanation {
    ports = List.copyOf(ports);
  }

  /**
   * One port of the object.
   *
   * @param targetPort Services: the target port as written (number or name); Pods: the port
   * @param protocol the effective protocol's id (detect, opaque, http1, http2, grpc, tls)
   * @param detectTimeout how long detection waits, for detect only
   * @param skipped inbound only: the proxy never sees the port (skip-inbound-ports)
   * @param shadowed Servers that select the port too but lost to an older one
   * @param invalidTokens invalid tokens in the annotations consulted for this answer
   * @param networkPolicyConflicts Pods: where a NetworkPolicy makes Portolan withhold the rewrite
   *     of this port to the inbound port from some clients (docs/networkpolicy.md)
   * @param authz Pods only: who may connect to the port
   */
  public record Port(
      int port,
      String targetPort,
      String protocol,
      @Nullable Duration detectTimeout,
      boolean opaque,
      boolean skipped,
      ProvenanceView provenance,
      List<ObjectRef> shadowed,
      List<TokenReport> invalidTokens,
      List<Conflict> networkPolicyConflicts,
      @Nullable Authz authz) {
    public Port {
      shadowed = List.copyOf(shadowed);
      invalidTokens = List.copyOf(invalidTokens);
      networkPolicyConflicts = List.copyOf(networkPolicyConflicts);
    }

    static Port of(PortExplanation p) {
      EffectiveProtocol d = p.decision();
      return new Port(
          p.port(),
          p.targetPort(),
          d.protocol().id(),
          d.protocol() instanceof Protocol.Detect det ? det.timeout() : null,
          d.isOpaque(),
          d.skipped(),
          ProvenanceView.of(d.provenance()),
          d.shadowed(),
          d.invalidTokens(),
          List.of(),
          p.authz() == null ? null : Authz.of(p.authz()));
    }

    Port withConflicts(List<Conflict> conflicts) {
      return new Port(
          port,
          targetPort,
          protocol,
          detectTimeout,
          opaque,
          skipped,
          provenance,
          shadowed,
          invalidTokens,
          conflicts,
          authz);
    }
  }

  /**
   * Who may connect to a Pod's port, and where that came from.
   *
   * @param policy the default inbound policy's name, e.g. {@code all-authenticated}
   * @param source the Pod or Namespace annotation, or the install default
   * @param requireIdentity the port is in proxy-require-identity-inbound-ports
   * @param summary one readable line
   * @param invalidTokens bad values skipped on the way (each fell back to the next level)
   * @param networkPolicies the NetworkPolicies ({@code namespace/name}) that narrowed who may
   *     connect to the clients they let reach the port (docs/networkpolicy.md)
   */
  public record Authz(
      String policy,
      ProvenanceView source,
      boolean requireIdentity,
      String summary,
      List<TokenReport> invalidTokens,
      List<String> networkPolicies,
      List<NarrowedBy> narrowedBy) {
    public Authz {
      invalidTokens = List.copyOf(invalidTokens);
      networkPolicies = List.copyOf(networkPolicies);
      narrowedBy = List.copyOf(narrowedBy);
    }

    static Authz of(InboundAuthz a) {
      List<NarrowedBy> narrowed = new ArrayList<>();
      for (ObjectRef policy : a.networkPolicies()) {
        String name = Authorization.networkPolicyName(policy.namespace(), policy.name());
        List<String> networks = new ArrayList<>();
        for (Authorization authz : a.authorizations()) {
          if (authz.name().equals(name)) {
            authz.networks().forEach(n -> networks.add(network(n)));
          }
        }
        narrowed.add(new NarrowedBy(policy, networks));
      }
      return new Authz(
          a.policy().value(),
          ProvenanceView.of(a.source()),
          a.requireIdentity(),
          a.summary(),
          a.invalidTokens(),
          a.networkPolicies().stream().map(r -> r.namespace() + "/" + r.name()).toList(),
          narrowed);
    }

    private static String network(Authorization.Network n) {
      StringBuilder b = new StringBuilder(n.net().toString());
      if (!n.except().isEmpty()) {
        b.append(" except ");
        b.append(String.join(", ", n.except().stream().map(Object::toString).toList()));
      }
      return b.toString();
    }
  }

  /**
   * One NetworkPolicy narrowing a port: the client networks it lets reach the port, as the proxy
   * enforces them (docs/networkpolicy.md, <i>The tunnel keeps the port rules</i>).
   *
   * @param policy the NetworkPolicy
   * @param networks CIDRs, an exception list after {@code except}
   */
  public record NarrowedBy(ObjectRef policy, List<String> networks) {
    public NarrowedBy {
      networks = List.copyOf(networks);
    }
  }

  static Explanation of(ObjectRef object, long version, List<PortExplanation> ports) {
    return new Explanation(object, version, ports.stream().map(Port::of).toList());
  }

  /** A Pod's explanation with the NetworkPolicy conflicts about its ports. */
  static Explanation of(
      ObjectRef object, long version, List<PortExplanation> ports, List<Conflict> conflicts) {
    return new Explanation(
        object,
        version,
        ports.stream()
            .map(p ->
                Port.of(p)
                    .withConflicts(conflicts.stream().filter(c -> c.port() == p.port()).toList()))
            .toList());
  }

  /** The actuator's JSON shape (see docs/api.md). */
  public Map<String, Object> toJson() {
    return ExplanationJson.of(this);
  }

  /** The portolan.v1 {@code Diagnostics/Explain} answer. */
  public ExplainResponse toProto() {
    return ExplanationProto.of(this);
  }
}
