package dev.portolan.policy.resolve;

import dev.portolan.policy.model.Annotations;
import dev.portolan.policy.model.Authentication;
import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.AuthzSettings;
import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.DefaultInboundPolicy;
import dev.portolan.policy.model.InboundAuthz;
import dev.portolan.policy.model.InvalidToken;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.PortListParser;
import dev.portolan.policy.model.ProbeRoute;
import dev.portolan.policy.model.Provenance;
import dev.portolan.policy.model.TokenReport;
import dev.portolan.policy.netpol.IngressNetworks;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Who may connect to (pod, port) (docs/design/inbound.md): the default inbound policy from the
 * Pod's {@code config.linkerd.io/default-inbound-policy}, else the Namespace's, else the install
 * default; a port in the Pod's {@code proxy-require-identity-inbound-ports} admits meshed clients
 * only. A value that is not a policy is reported and the next level decides, as for the port lists.
 */
public final class AuthzResolver {
  private static final String FIELD =
      "metadata.annotations[" + Annotations.DEFAULT_INBOUND_POLICY + "]";

  private final AuthzSettings settings;
  private final List<Authorization.Network> clusterNetworks;
  private final List<Authorization.Network> probeNetworks;

  public AuthzResolver(AuthzSettings settings) {
    this.settings = settings;
    this.clusterNetworks =
        settings.clusterNetworks().stream().map(Authorization.Network::new).toList();
    this.probeNetworks = settings.probeNetworks().stream().map(Authorization.Network::new).toList();
  }

  public InboundAuthz resolve(ClusterView view, PodInfo pod, int port) {
    InboundAuthz authz = byPolicy(view, pod, port);
    return authz.requireIdentity() ? authz : authz.withProbeRoute(probeRoute(pod, port));
  }

  /**
   * The kubelet's HTTP probes of (pod, port) as a route admitted from the probe networks, or null
   * when there are none or no probe networks. Whatever the default policy, {@code deny} included: a
   * Pod whose probes are refused never becomes ready (Linkerd admits them the same way). A
   * NetworkPolicy does not narrow it, as Kubernetes lets the node reach its Pods whatever the
   * policies say. A port in {@code proxy-require-identity-inbound-ports} gets none: it asks for
   * identity on every connection, and Linkerd's proxy refuses plaintext there before any route.
   */
  @Nullable ProbeRoute probeRoute(PodInfo pod, int port) {
    List<String> paths = pod.probePaths(port);
    if (paths.isEmpty() || probeNetworks.isEmpty()) {
      return null;
    }
    return new ProbeRoute(
        paths, new Authorization(probeNetworks, Authentication.UNAUTHENTICATED, ProbeRoute.NAME));
  }

  private InboundAuthz byPolicy(ClusterView view, PodInfo pod, int port) {
    List<TokenReport> reports = new ArrayList<>();
    DefaultInboundPolicy policy = null;
    Provenance source = null;
    String podRaw = pod.annotations().get(Annotations.DEFAULT_INBOUND_POLICY);
    if (podRaw != null) {
      policy = parse(pod.ref(), podRaw, reports);
      source = new Provenance.Annotation(pod.ref(), Annotations.DEFAULT_INBOUND_POLICY, podRaw);
    }
    if (policy == null) {
      NamespaceInfo ns = view.namespace(pod.namespace());
      String nsRaw = ns == null ? null : ns.annotations().get(Annotations.DEFAULT_INBOUND_POLICY);
      if (ns != null && nsRaw != null) {
        policy = parse(ns.ref(), nsRaw, reports);
        source = new Provenance.Annotation(ns.ref(), Annotations.DEFAULT_INBOUND_POLICY, nsRaw);
      }
    }
    if (policy == null || source == null) {
      policy = settings.defaultPolicy();
      source = new Provenance.Default("portolan.inbound.default-policy", policy.value());
    }
    boolean requireIdentity = requiresIdentity(pod, port, reports);
    List<Authorization> defaults = authorizations(policy, requireIdentity);
    if (defaults.isEmpty()) {
      // deny stays deny: a NetworkPolicy can only narrow what the default admits
      return new InboundAuthz(policy, source, requireIdentity, defaults, reports);
    }
    List<IngressNetworks.PolicyNetworks> allowed =
        IngressNetworks.of(view.networkPolicies(), pod, port, view::allPods);
    if (allowed.isEmpty()) {
      return new InboundAuthz(policy, source, requireIdentity, defaults, reports);
    }
    return new InboundAuthz(
        policy,
        source,
        requireIdentity,
        narrow(defaults, allowed),
        reports,
        allowed.stream().map(IngressNetworks.PolicyNetworks::policy).toList());
  }

  /**
   * The default authorizations narrowed to what the isolating NetworkPolicies allow: one per
   * (default, policy), named after the policy, with the default's authentication (an
   * all-authenticated port keeps requiring identity) and the addresses both admit. The proxy admits
   * a client when one of them does, so the union over policies is the policies' union, as
   * Kubernetes reads several policies selecting one pod.
   */
  static List<Authorization> narrow(
      List<Authorization> defaults, List<IngressNetworks.PolicyNetworks> allowed) {
    List<Authorization> out = new ArrayList<>();
    for (IngressNetworks.PolicyNetworks p : allowed) {
      for (Authorization d : defaults) {
        List<Authorization.Network> both =
            Authorization.Network.intersect(d.networks(), p.networks());
        if (!both.isEmpty()) {
          out.add(
              new Authorization(
                  both,
                  d.authentication(),
                  Authorization.networkPolicyName(p.policy().namespace(), p.policy().name())));
        }
      }
    }
    return out;
  }

  /** The authorizations of {@code policy}, narrowed to meshed clients when identity is required. */
  List<Authorization> authorizations(DefaultInboundPolicy policy, boolean requireIdentity) {
    Authentication authn =
        policy.authenticated() || requireIdentity
            ? Authentication.ANY_MESH_IDENTITY
            : Authentication.UNAUTHENTICATED;
    return switch (policy) {
      case DENY -> List.of();
      case ALL_UNAUTHENTICATED, ALL_AUTHENTICATED ->
          List.of(new Authorization(Authorization.ALL_NETWORKS, authn, policy.value()));
      case CLUSTER_UNAUTHENTICATED, CLUSTER_AUTHENTICATED ->
          List.of(new Authorization(clusterNetworks, authn, policy.value()));
    };
  }

  public List<Cidr> clusterNetworks() {
    return settings.clusterNetworks();
  }

  private static boolean requiresIdentity(PodInfo pod, int port, List<TokenReport> reports) {
    String raw = pod.annotations().get(Annotations.REQUIRE_IDENTITY_INBOUND_PORTS);
    if (raw == null) {
      return false;
    }
    var parsed = PortListParser.parse(raw, pod.portNames());
    for (var t : parsed.invalid()) {
      reports.add(
          new TokenReport(
              pod.ref(),
              "metadata.annotations[" + Annotations.REQUIRE_IDENTITY_INBOUND_PORTS + "]",
              t));
    }
    return parsed.ports().contains(port);
  }

  private static @Nullable DefaultInboundPolicy parse(
      ObjectRef owner, String raw, List<TokenReport> reports) {
    DefaultInboundPolicy p = DefaultInboundPolicy.parse(raw);
    if (p == null) {
      reports.add(new TokenReport(owner, FIELD, invalid(raw)));
    }
    return p;
  }

  /** The report for a value that is not a policy (also used by the annotation check). */
  static InvalidToken invalid(String raw) {
    return new InvalidToken(1, raw.strip(), DefaultInboundPolicy.invalidReason());
  }

  /** The reports for an object's own default-inbound-policy annotation. */
  static void check(ObjectRef ref, Map<String, String> annotations, List<TokenReport> out) {
    String raw = annotations.get(Annotations.DEFAULT_INBOUND_POLICY);
    if (raw != null && DefaultInboundPolicy.parse(raw) == null) {
      out.add(new TokenReport(ref, FIELD, invalid(raw)));
    }
  }
}
