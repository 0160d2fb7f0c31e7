package dev.portolan.policy.netpol;

import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Port;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The NetworkPolicies of one snapshot, evaluated with Kubernetes {@code networking.k8s.io/v1}
 * semantics for TCP connections (docs/design/networkpolicy.md).
 *
 * <p>The rules, as the API reference states them:
 *
 * <ul>
 *   <li>A policy applies only to pods of its own namespace that its {@code podSelector} selects.
 *   <li>A pod is isolated for a direction only when some policy with that direction in its {@code
 *       policyTypes} selects it; a pod no such policy selects allows everything in that direction.
 *   <li>An isolated pod allows exactly the union of the rules of that direction of all policies
 *       selecting it. A rule matches when the peer matches one of its peers (or it lists none) and
 *       the port matches one of its ports (or it lists none); {@code ingress: []} or no {@code
 *       ingress} allows nothing, {@code ingress: [{}]} allows everything.
 *   <li>A peer {@code podSelector} alone means pods of the policy's namespace; {@code
 *       namespaceSelector} alone means every pod of the selected namespaces; both in one peer mean
 *       the selected pods in the selected namespaces. Every namespace carries {@code
 *       kubernetes.io/metadata.name=<name>}, which the API server sets; it is added here too, so
 *       manifests without it select as a cluster would.
 *   <li>A port matches when its protocol is TCP (a UDP or SCTP entry never allows a TCP connection)
 *       and it is absent (all ports), the number, within {@code port..endPort}, or a name that a
 *       TCP container port of the <em>destination</em> pod carries with that number: the server for
 *       ingress, the destination pod for egress (a bare address has no names).
 *   <li>Ingress from the server pod's own node ({@link PodInfo#hostIp()}) is always allowed.
 * </ul>
 *
 * <p><b>ipBlock and pod addresses.</b> Kubernetes leaves it to the implementation whether an {@code
 * ipBlock} matches traffic from or to cluster pods. This evaluator matches an {@code ipBlock}
 * against the address of any peer, pod or not: a pod at 10.1.2.3 is allowed by a rule {@code
 * ipBlock: {cidr: 10.1.0.0/16}} just as an outside address would be. This is what iptables-based
 * enforcers (and the test bed's enforcer) do, since they see only addresses.
 *
 * <p><b>Not modelled.</b> Whether policies apply to {@code hostNetwork} pods is also left to the
 * implementation; the model does not record {@code hostNetwork}, so such a pod is evaluated like
 * any other. Only TCP is evaluated: the callers decide about TCP connections.
 *
 * <p><b>Use.</b> Build one per snapshot with {@link #of} (the snapshot's policies, its namespace
 * lookup, the pods' {@code hostIP}s). For the NetworkPolicy-aware rewrite, {@link #reach} to the
 * inbound port and to the application port give the decision; {@link #explainReach} and {@link
 * #selecting} give the report (the rules that allowed, or the policies that isolate: the ones to
 * edit). To compute a per-client overlay once per class of clients, key it by {@link #clientClass}
 * and evaluate it with any one member of the class.
 *
 * <p>Immutable and safe to share between threads; its caches fill lazily and are only ever derived
 * from the snapshot it was built from.
 */
public final class NetworkPolicies {
  /** A cluster without policies: nothing is isolated. */
  public static final NetworkPolicies NONE = of(List.of(), ns -> null, List.of());

  /** Label the API server puts on every namespace, naming it. */
  public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

  private final Map<String, List<NetworkPolicyInfo>> byNamespace;
  private final List<NetworkPolicyInfo> all;
  private final Function<String, @Nullable NamespaceInfo> namespaces;
  private final ConcurrentMap<String, Map<String, String>> namespaceLabels =
      new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Optional<IpAddress>> hostIps = new ConcurrentHashMap<>();
  private final ConcurrentMap<Object, List<IpAddress>> selected = new ConcurrentHashMap<>();
  private final ClientClassifier classifier;

  private NetworkPolicies(
      Collection<NetworkPolicyInfo> policies,
      Function<String, @Nullable NamespaceInfo> namespaces,
      Set<IpAddress> nodeIps,
      @Nullable NetworkPolicies previous,
      int pods) {
    Map<String, List<NetworkPolicyInfo>> by = new HashMap<>();
    for (NetworkPolicyInfo p : policies) {
      by.computeIfAbsent(p.namespace(), k -> new ArrayList<>()).add(p);
    }
    // Sorted by name so explanations list policies and rules in a stable order.
    by.replaceAll(
        (ns, l) -> l.stream().sorted(Comparator.comparing(NetworkPolicyInfo::name)).toList());
    this.byNamespace = Map.copyOf(by);
    this.all =
        by.values().stream()
            .flatMap(List::stream)
            .sorted(
                Comparator.comparing(NetworkPolicyInfo::namespace)
                    .thenComparing(NetworkPolicyInfo::name))
            .toList();
    this.namespaces = namespaces;
    this.classifier =
        new ClientClassifier(
            List.copyOf(policies),
            this::namespaceLabels,
            nodeIps,
            previous == null ? null : previous.classifier,
            pods);
  }

  /**
   * The policies of a snapshot.
   *
   * @param namespaces the snapshot's namespaces by name (null when unknown: then only {@value
   *     #NAMESPACE_NAME_LABEL} is known); must answer the same for the life of this object
   * @param nodeIps the nodes' addresses (the {@code hostIP}s of the snapshot's pods); used only to
   *     keep node clients in classes of their own
   */
  public static NetworkPolicies of(
      Collection<NetworkPolicyInfo> policies,
      Function<String, @Nullable NamespaceInfo> namespaces,
      Collection<String> nodeIps) {
    return of(policies, namespaces, nodeIps, null, 0);
  }

  /**
   * The policies of a snapshot that follows the one {@code previous} was built for: the client
   * classes {@code previous} memoised are taken over where they still hold (see {@link
   * #clientClass(PodInfo)}), so a policy edit that changes no selector reclassifies no Pod.
   *
   * @param pods how many Pods the snapshot has: a memo of more than twice as many entries (Pods
   *     since replaced or deleted) is not taken over
   */
  public static NetworkPolicies of(
      Collection<NetworkPolicyInfo> policies,
      Function<String, @Nullable NamespaceInfo> namespaces,
      Collection<String> nodeIps,
      @Nullable NetworkPolicies previous,
      int pods) {
    Set<IpAddress> nodes = new HashSet<>();
    for (String ip : nodeIps) {
      parse(ip).ifPresent(nodes::add);
    }
    return new NetworkPolicies(policies, namespaces, Set.copyOf(nodes), previous, pods);
  }

  /** Whether there is no policy at all: then nothing is isolated and every client is alike. */
  public boolean isEmpty() {
    return all.isEmpty();
  }

  /** Every policy, by namespace and name. */
  public List<NetworkPolicyInfo> all() {
    return all;
  }

  /** Whether some policy isolates {@code pod} in direction {@code d}. */
  public boolean isIsolated(PodInfo pod, PolicyType d) {
    return !selecting(pod, d).isEmpty();
  }

  /**
   * The policies isolating {@code pod} in direction {@code d}, sorted by name: the ones whose rules
   * decide, and the ones to edit.
   */
  public List<NetworkPolicyInfo> selecting(PodInfo pod, PolicyType d) {
    List<NetworkPolicyInfo> out = new ArrayList<>(0);
    for (NetworkPolicyInfo p : byNamespace.getOrDefault(pod.namespace(), List.of())) {
      if (p.affects(d) && p.podSelector().matches(pod.labels())) {
        out.add(p);
      }
    }
    return out;
  }

  /** Whether {@code server}'s ingress policies accept a TCP connection from {@code client}. */
  public boolean ingressAllows(PodInfo server, Peer client, int port) {
    return ingress(server, client, port, false).allowed();
  }

  /** Why {@code server}'s ingress policies accept or refuse {@code client} on TCP {@code port}. */
  public Verdict explainIngress(PodInfo server, Peer client, int port) {
    return ingress(server, client, port, true);
  }

  /**
   * Whether {@code client}'s egress policies let it open a TCP connection to {@code server} (a pod,
   * see {@link Peer#of(PodInfo)}, or a bare address, see {@link Peer#ip(String)}).
   */
  public boolean egressAllows(PodInfo client, Peer server, int port) {
    return egress(client, server, port, false).allowed();
  }

  /** Why {@code client}'s egress policies allow or refuse {@code server} on TCP {@code port}. */
  public Verdict explainEgress(PodInfo client, Peer server, int port) {
    return egress(client, server, port, true);
  }

  /**
   * Whether {@code client} may open a TCP connection to {@code server}'s {@code port}: its egress
   * and the server's ingress both allow it. The connection is taken to go to the server's first IP
   * from the client's IP of the same family (its first IP if it has none of that family).
   */
  public boolean reach(PodInfo client, PodInfo server, int port) {
    // Asked twice per evaluation key and topic on each policy edit: the addresses come parsed.
    Peer.Pod to = classifier.peer(server);
    return egressAllows(client, to, port) && ingressAllows(server, at(client, to.ip()), port);
  }

  /** {@code Peer.of(pod, sameFamily(pod, like))}, the memoised peer when that is its first IP. */
  private Peer.Pod at(PodInfo pod, @Nullable IpAddress like) {
    Peer.Pod first = classifier.peer(pod);
    IpAddress ip = first.ip();
    if (like == null || (ip != null && ip.v6() == like.v6())) {
      return first;
    }
    return Peer.of(pod, sameFamily(pod, like));
  }

  /** {@link #reach} with the reasons for both directions. */
  public Reach explainReach(PodInfo client, PodInfo server, int port) {
    Peer.Pod to = Peer.of(server);
    return new Reach(
        explainEgress(client, to, port),
        explainIngress(server, Peer.of(client, sameFamily(client, to.ip())), port));
  }

  /**
   * The class of {@code client}: clients of one class are treated alike by every policy of this
   * snapshot, so decisions about them are computed once per class (see {@link ClientClass}).
   */
  public ClientClass clientClass(Peer client) {
    return classifier.classify(client);
  }

  /**
   * The class of {@code pod} at its first IP, {@code clientClass(Peer.of(pod))}, memoised by the
   * identity of the Pod object: asked for every subscriber's Pod on every snapshot that changes
   * what the policies read about clients, it neither parses the address nor projects the labels
   * again while the Pod object and what the policies read about its namespace are unchanged, in
   * this snapshot or (through {@link #of(Collection, Function, Collection, NetworkPolicies, int)})
   * the ones before it.
   */
  public ClientClass clientClass(PodInfo pod) {
    return classifier.classify(pod);
  }

  /** The labels namespaceSelectors see on {@code namespace}, with its name label. */
  public Map<String, String> namespaceLabels(String namespace) {
    return namespaceLabels.computeIfAbsent(
        namespace,
        name -> {
          NamespaceInfo ns = namespaces.apply(name);
          Map<String, String> labels = new HashMap<>(ns == null ? Map.of() : ns.labels());
          labels.putIfAbsent(NAMESPACE_NAME_LABEL, name);
          return Map.copyOf(labels);
        });
  }

  private Verdict ingress(PodInfo server, Peer client, int port, boolean all) {
    List<NetworkPolicyInfo> isolating = selecting(server, PolicyType.INGRESS);
    if (isolating.isEmpty()) {
      return new Verdict.NotIsolated(PolicyType.INGRESS);
    }
    IpAddress node = hostIp(server);
    if (node != null && node.equals(client.ip())) {
      return new Verdict.FromLocalNode(node);
    }
    return rules(PolicyType.INGRESS, isolating, client, port, server.ports(), all);
  }

  private Verdict egress(PodInfo client, Peer server, int port, boolean all) {
    List<NetworkPolicyInfo> isolating = selecting(client, PolicyType.EGRESS);
    if (isolating.isEmpty()) {
      return new Verdict.NotIsolated(PolicyType.EGRESS);
    }
    List<ContainerPort> names = server instanceof Peer.Pod p ? p.ports() : List.of();
    return rules(PolicyType.EGRESS, isolating, server, port, names, all);
  }

  /** The union of the rules of {@code isolating}: the first match, or all of them. */
  private Verdict rules(
      PolicyType d,
      List<NetworkPolicyInfo> isolating,
      Peer other,
      int port,
      List<ContainerPort> destinationPorts,
      boolean all) {
    List<RuleRef> matched = new ArrayList<>(0);
    for (NetworkPolicyInfo p : isolating) {
      List<Rule> rules = p.rules(d);
      for (int i = 0; i < rules.size(); i++) {
        Rule r = rules.get(i);
        if (peerMatches(p, r, other) && portMatches(r, port, destinationPorts)) {
          matched.add(new RuleRef(p.ref(), d, i));
          if (!all) {
            return new Verdict.Allowed(d, matched);
          }
        }
      }
    }
    if (!matched.isEmpty()) {
      return new Verdict.Allowed(d, matched);
    }
    List<ObjectRef> refs = new ArrayList<>(isolating.size());
    for (NetworkPolicyInfo p : isolating) {
      refs.add(p.ref());
    }
    return new Verdict.Denied(d, refs);
  }

  boolean peerMatches(NetworkPolicyInfo policy, Rule rule, Peer other) {
    if (rule.peers().isEmpty()) {
      return true;
    }
    for (NetworkPolicyInfo.Peer peer : rule.peers()) {
      if (matches(policy, peer, other)) {
        return true;
      }
    }
    return false;
  }

  /** Whether one entry of {@code from}/{@code to} of {@code policy} matches {@code other}. */
  boolean matches(NetworkPolicyInfo policy, NetworkPolicyInfo.Peer peer, Peer other) {
    return switch (peer) {
      case NetworkPolicyInfo.Peer.Block b -> {
        IpAddress ip = other.ip();
        yield ip != null && b.block().contains(ip);
      }
      case NetworkPolicyInfo.Peer.Pods p ->
          other instanceof Peer.Pod pod && selects(policy, p, pod.namespace(), pod.labels());
    };
  }

  /** Whether a pod selector entry of {@code policy} picks a pod of this namespace and labels. */
  boolean selects(
      NetworkPolicyInfo policy,
      NetworkPolicyInfo.Peer.Pods p,
      String namespace,
      Map<String, String> labels) {
    LabelSelector namespaceSelector = p.namespaceSelector();
    LabelSelector podSelector = p.podSelector();
    boolean inNamespace =
        namespaceSelector == null
            ? namespace.equals(policy.namespace())
            : namespaceSelector.matches(namespaceLabels(namespace));
    return inNamespace && (podSelector == null || podSelector.matches(labels));
  }

  /**
   * The addresses of the pods a selector entry of {@code policy} picks among {@code pods}, computed
   * once per snapshot: an entry with a namespaceSelector reads the same wherever it is written, one
   * without depends on the policy's namespace only. The caller passes every pod of the snapshot
   * this object was built from, always the same (as {@link IngressNetworks} does).
   */
  List<IpAddress> selectedAddresses(
      NetworkPolicyInfo policy,
      NetworkPolicyInfo.Peer.Pods p,
      Supplier<? extends Collection<PodInfo>> pods) {
    Object key = p.namespaceSelector() == null ? List.of(policy.namespace(), p) : p;
    return selected.computeIfAbsent(
        key,
        k -> {
          List<IpAddress> out = new ArrayList<>();
          for (PodInfo pod : pods.get()) {
            if (!pod.podIps().isEmpty() && selects(policy, p, pod.namespace(), pod.labels())) {
              for (String ip : pod.podIps()) {
                parse(ip).ifPresent(out::add);
              }
            }
          }
          return List.copyOf(out);
        });
  }

  static boolean portMatches(Rule rule, int port, List<ContainerPort> destinationPorts) {
    if (rule.ports().isEmpty()) {
      return true;
    }
    for (Port p : rule.ports()) {
      if (portMatches(p, port, destinationPorts)) {
        return true;
      }
    }
    return false;
  }

  private static boolean portMatches(Port p, int port, List<ContainerPort> destinationPorts) {
    if (!p.protocol().equals("TCP")) {
      return false;
    }
    return switch (p) {
      case Port.All a -> true;
      case Port.Numbers n -> n.range().contains(port);
      case Port.Named n -> {
        for (ContainerPort cp : destinationPorts) {
          if (cp.port() == port && cp.isTcp() && n.name().equals(cp.name())) {
            yield true;
          }
        }
        yield false;
      }
    };
  }

  @Nullable IpAddress hostIp(PodInfo pod) {
    String h = pod.hostIp();
    return h == null ? null : hostIps.computeIfAbsent(h, NetworkPolicies::parse).orElse(null);
  }

  private static @Nullable String sameFamily(PodInfo pod, @Nullable IpAddress like) {
    if (like != null) {
      for (String ip : pod.podIps()) {
        Optional<IpAddress> a = parse(ip);
        if (a.isPresent() && a.get().v6() == like.v6()) {
          return ip;
        }
      }
    }
    return pod.podIps().isEmpty() ? null : pod.podIps().getFirst();
  }

  private static Optional<IpAddress> parse(String ip) {
    try {
      return Optional.of(IpAddress.parse(ip));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
