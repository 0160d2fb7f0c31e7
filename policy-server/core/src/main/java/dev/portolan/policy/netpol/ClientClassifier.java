package dev.portolan.policy.netpol;

import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.IpBlock;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.PodInfo;
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
 *
 * <p>A client Pod's class is a function of its namespace, labels and address, of its namespace's
 * projection, of the ingress ipBlocks and of the nodes' addresses; nothing else. So the class of a
 * Pod is memoised by the identity of its immutable {@link PodInfo}, together with the projection it
 * was computed with, and the memo is handed on to the next snapshot's classifier when the ipBlocks
 * and node addresses are equal. The next snapshot recomputes only the per-namespace projections
 * (one per namespace, not one per Pod): a Pod whose object and projection are unchanged keeps its
 * class, and its parsed address, without being looked at again. An edit of a policy's ports changes
 * no projection and reclassifies nobody; an edit of a selector changes the projections that read
 * it, and the Pods of those namespaces are classified anew (docs/benchmarks.md, issue 25).
 *
 * <p>Every entry is a pure function of its key and the projection it records, checked on each read,
 * so the classifiers that share a memo (snapshots with equal ipBlocks and node addresses) cannot
 * disagree through it. Entries of Pods that were replaced or deleted are dropped wholesale: a
 * classifier starts with an empty memo when its predecessor's holds more than twice the Pods of its
 * snapshot.
 */
final class ClientClassifier {
  private final List<NetworkPolicyInfo> policies;
  private final Function<String, Map<String, String>> namespaceLabels;
  private final Set<IpAddress> nodeIps;
  private final List<IpBlock> ingressBlocks;
  private final ConcurrentMap<String, Projection> projections = new ConcurrentHashMap<>();
  // The predecessor's projections (not the predecessor: snapshots must not chain), to hand out
  // the same object for an equal projection, which makes the memo's check an identity test.
  private final Map<String, Projection> previousProjections;
  private final ConcurrentMap<Identity, Memo> memo;
  // One object per distinct class, kept and dropped with the memo: the streams' evaluation keys
  // classes by equality, and equal classes of different Pods then compare by identity, without
  // walking their maps and sets.
  private final ConcurrentMap<ClientClass, ClientClass> interned;

  /**
   * @param previous the classifier of the previous snapshot, whose memo is taken over when valid
   *     here, or null
   * @param pods the number of Pods of this snapshot, which bounds the memo taken over
   */
  ClientClassifier(
      List<NetworkPolicyInfo> policies,
      Function<String, Map<String, String>> namespaceLabels,
      Set<IpAddress> nodeIps,
      @Nullable ClientClassifier previous,
      int pods) {
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
    if (previous != null
        && previous.ingressBlocks.equals(ingressBlocks)
        && previous.nodeIps.equals(nodeIps)) {
      this.previousProjections = previous.projections;
      boolean keep = previous.memo.size() <= 2L * pods && previous.interned.size() <= 2L * pods;
      this.memo = keep ? previous.memo : new ConcurrentHashMap<>();
      this.interned = keep ? previous.interned : new ConcurrentHashMap<>();
    } else {
      this.previousProjections = Map.of();
      this.memo = new ConcurrentHashMap<>();
      this.interned = new ConcurrentHashMap<>();
    }
  }

  /**
   * The class of {@code pod} at its first IP ({@link Peer#of(PodInfo)}): the object an earlier
   * snapshot gave when neither the Pod object nor its namespace's projection changed since.
   */
  ClientClass classify(PodInfo pod) {
    if (policies.isEmpty()) {
      // Nothing reads the client, and NetworkPolicies.NONE is shared by every snapshot: no memo.
      return classify(Peer.of(pod));
    }
    Projection proj = projection(pod.namespace());
    Identity id = new Identity(pod);
    Memo m = memo.get(id);
    Projection was = m == null ? null : m.projection;
    ClientClass c = m == null ? null : m.clientClass;
    if (c == null || was == null || (was != proj && !was.equals(proj))) {
      // The parsed address outlives a change of projection: the Pod object is the same.
      Peer.Pod peer = m != null ? m.peer : Peer.of(pod);
      ClientClass fresh = classify(peer, proj);
      c = interned.computeIfAbsent(fresh, k -> fresh);
      memo.put(id, new Memo(peer, proj, c));
    }
    return c;
  }

  /**
   * {@link Peer#of(PodInfo)}, with the address parsed once per Pod object while the memo holds it
   * (the rewrite decision asks it for the client and the server of each evaluation key).
   */
  Peer.Pod peer(PodInfo pod) {
    if (policies.isEmpty()) {
      return Peer.of(pod);
    }
    Identity id = new Identity(pod);
    Memo m = memo.get(id);
    if (m != null) {
      return m.peer;
    }
    Peer.Pod peer = Peer.of(pod);
    memo.putIfAbsent(id, new Memo(peer, null, null));
    return peer;
  }

  ClientClass classify(Peer client) {
    return switch (client) {
      case Peer.Ip i -> new ClientClass(null, Map.of(), Set.of(), ipBlocks(i.ip()), node(i.ip()));
      case Peer.Pod pod -> classify(pod, projection(pod.namespace()));
    };
  }

  private ClientClass classify(Peer.Pod pod, Projection proj) {
    // Called per client Pod whose class is not memoised (all of them after a selector edit, a
    // thousand with a thousand client Pods): nothing is allocated for what the policies do not
    // read.
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
    return new ClientClass(pod.namespace(), labels, present, ipBlocks(pod.ip()), node(pod.ip()));
  }

  private Set<IpBlock> ipBlocks(@Nullable IpAddress ip) {
    if (ip == null || ingressBlocks.isEmpty()) {
      return Set.of();
    }
    Set<IpBlock> in = new HashSet<>();
    for (IpBlock b : ingressBlocks) {
      if (b.contains(ip)) {
        in.add(b);
      }
    }
    return in;
  }

  private @Nullable IpAddress node(@Nullable IpAddress ip) {
    return ip != null && nodeIps.contains(ip) ? ip : null;
  }

  /**
   * The projection of {@code namespace}; the predecessor's object when equal, so that a memoised
   * class checks its projection by identity in the common case.
   */
  private Projection projection(String namespace) {
    Projection p = projections.get(namespace);
    if (p != null) {
      return p;
    }
    return projections.computeIfAbsent(
        namespace,
        ns -> {
          Projection fresh = project(ns);
          Projection before = previousProjections.get(ns);
          return fresh.equals(before) ? before : fresh;
        });
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

  /** A Pod object by identity: its record equality would hash every field on each lookup. */
  private record Identity(PodInfo pod) {
    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Identity i && i.pod == pod;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(pod);
    }
  }

  /**
   * The Pod with its parsed address, and its class with the projection that class was computed with
   * (both null while the Pod was only asked for as a peer).
   */
  private record Memo(
      Peer.Pod peer, @Nullable Projection projection, @Nullable ClientClass clientClass) {}

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
