package dev.portolan.policy.netpol;

import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.IpBlock;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Computes {@link ClientClass}es. Which label keys matter depends only on the client's namespace,
 * so that projection is computed once per namespace and cached.
 */
final class ClientClassifier {
  private final List<NetworkPolicyInfo> policies;
  private final Function<String, Map<String, String>> namespaceLabels;
  private final Set<IpAddress> nodeIps;
  private final List<IpBlock> ingressBlocks;
  private final ConcurrentMap<String, Projection> projections = new ConcurrentHashMap<>();

  ClientClassifier(
      List<NetworkPolicyInfo> policies,
      Function<String, Map<String, String>> namespaceLabels,
      Set<IpAddress> nodeIps) {
    this.policies = policies;
    this.namespaceLabels = namespaceLabels;
    this.nodeIps = nodeIps;
    Set<IpBlock> blocks = new LinkedHashSet<>();
    for (NetworkPolicyInfo p : policies) {
      if (p.affects(PolicyType.INGRESS)) {
        for (Rule r : p.ingress()) {
          for (NetworkPolicyInfo.Peer peer : r.peers()) {
            if (peer instanceof NetworkPolicyInfo.Peer.Block b) {
              blocks.add(b.block());
            }
          }
        }
      }
    }
    this.ingressBlocks = List.copyOf(blocks);
  }

  ClientClass classify(Peer client) {
    // Called per client Pod and per change that touches clients (a thousand times per policy edit
    // with a thousand client Pods): nothing is allocated for what the policies do not read.
    IpAddress ip = client.ip();
    Set<IpBlock> blocks = Set.of();
    if (ip != null && !ingressBlocks.isEmpty()) {
      Set<IpBlock> in = new HashSet<>();
      for (IpBlock b : ingressBlocks) {
        if (b.contains(ip)) {
          in.add(b);
        }
      }
      blocks = in;
    }
    @Nullable IpAddress node = ip != null && nodeIps.contains(ip) ? ip : null;
    return switch (client) {
      case Peer.Ip i -> new ClientClass(null, Map.of(), Set.of(), blocks, node);
      case Peer.Pod pod -> {
        Projection proj = projections.computeIfAbsent(pod.namespace(), this::project);
        Map<String, String> podLabels = pod.labels();
        Map<String, String> labels = Map.of();
        for (String k : proj.valueKeys) {
          String v = podLabels.get(k);
          if (v != null) {
            if (labels.isEmpty()) {
              labels = new HashMap<>();
            }
            labels.put(k, v);
          }
        }
        Set<String> present = Set.of();
        for (String k : proj.presenceKeys) {
          if (podLabels.containsKey(k)) {
            if (present.isEmpty()) {
              present = new HashSet<>();
            }
            present.add(k);
          }
        }
        yield new ClientClass(pod.namespace(), labels, present, blocks, node);
      }
    };
  }

  /**
   * The label keys read about a pod of {@code namespace}: by the podSelector of each policy there
   * that can isolate its egress, and by each ingress peer podSelector whose namespace part admits
   * {@code namespace} (a peer that cannot admit the namespace never matches, whatever the labels).
   */
  private Projection project(String namespace) {
    Projection proj = new Projection(new HashSet<>(), new HashSet<>());
    for (NetworkPolicyInfo p : policies) {
      if (p.affects(PolicyType.EGRESS) && p.namespace().equals(namespace)) {
        proj.read(p.podSelector());
      }
      if (!p.affects(PolicyType.INGRESS)) {
        continue;
      }
      for (Rule r : p.ingress()) {
        for (NetworkPolicyInfo.Peer peer : r.peers()) {
          if (peer instanceof NetworkPolicyInfo.Peer.Pods pods && pods.podSelector() != null) {
            LabelSelector nss = pods.namespaceSelector();
            boolean admits =
                nss == null
                    ? p.namespace().equals(namespace)
                    : nss.matches(namespaceLabels.apply(namespace));
            if (admits) {
              proj.read(pods.podSelector());
            }
          }
        }
      }
    }
    proj.presenceKeys.removeAll(proj.valueKeys);
    return new Projection(Set.copyOf(proj.valueKeys), Set.copyOf(proj.presenceKeys));
  }

  /** Keys whose value a selector reads, and keys whose presence only it reads. */
  private record Projection(Set<String> valueKeys, Set<String> presenceKeys) {
    void read(@Nullable LabelSelector s) {
      if (s == null) {
        return;
      }
      valueKeys.addAll(s.matchLabels().keySet());
      for (LabelSelector.Requirement r : s.matchExpressions()) {
        switch (r.operator()) {
          case "Exists", "DoesNotExist" -> presenceKeys.add(r.key());
          // In, NotIn, and an unknown operator (which matches nothing): keep the value, which
          // is never coarser than needed.
          default -> valueKeys.add(r.key());
        }
      }
    }
  }
}
