package dev.portolan.policy.networkpolicy;

import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.OwnerRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.netpol.ClientClass;
import dev.portolan.policy.netpol.NetworkPolicies;
import dev.portolan.policy.netpol.Reach;
import dev.portolan.policy.netpol.RuleRef;
import dev.portolan.policy.netpol.Verdict;
import dev.portolan.policy.resolve.Authority;
import dev.portolan.policy.resolve.Endpoint;
import dev.portolan.policy.resolve.Profile;
import dev.portolan.policy.resolve.Resolver;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Finds the conflicts of a snapshot (docs/networkpolicy.md): for every meshed server Pod and opaque
 * port it would be rewritten for, every class of meshed clients the policies let reach the port but
 * not the inbound port. Each is attributed to the rules that allowed the port (the rules to widen),
 * in the direction that refused the inbound port: the server's ingress, the client's egress, or
 * both.
 *
 * <p>Cost: server Pods × their opaque ports × client classes (not client Pods: the members of a
 * class are told the same thing, {@link ClientClass}).
 */
final class ConflictFinder {
  private ConflictFinder() {}

  static List<Conflict> find(Snapshot snapshot, Resolver resolver) {
    NetworkPolicies policies = snapshot.networkPolicies();
    if (policies.isEmpty()) {
      return List.of();
    }
    List<PodInfo> pods = snapshot.allPods();
    Map<ClientClass, List<PodInfo>> classes = new LinkedHashMap<>();
    for (PodInfo p : pods) {
      if (p.meshed() && !p.podIps().isEmpty()) {
        // Memoised by the Pod object: the streams' evaluation asked for the same classes.
        classes.computeIfAbsent(policies.clientClass(p), k -> new ArrayList<>()).add(p);
      }
    }
    // A conflict needs the inbound port refused: by the server's ingress or a client's egress. With
    // no client isolated for egress, only servers isolated for ingress can have one, which spares
    // resolving a profile for every port of every other Pod (a thousand client Pods, each a server
    // of its own ports, on every policy edit).
    boolean someClientEgressIsolated = false;
    for (List<PodInfo> members : classes.values()) {
      if (policies.isIsolated(members.getFirst(), PolicyType.EGRESS)) {
        someClientEgressIsolated = true;
        break;
      }
    }
    Map<Key, TreeSet<String>> found = new TreeMap<>();
    for (PodInfo server : pods) {
      if (!server.meshed() || server.podIps().isEmpty()) {
        continue;
      }
      if (!someClientEgressIsolated && !policies.isIsolated(server, PolicyType.INGRESS)) {
        continue;
      }
      for (ContainerPort cp : server.ports()) {
        int inbound = inboundPort(snapshot, resolver, server, cp);
        if (inbound == 0) {
          continue;
        }
        for (List<PodInfo> members : classes.values()) {
          PodInfo client = members.getFirst();
          if (policies.reach(client, server, inbound)
              || !policies.reach(client, server, cp.port())) {
            continue;
          }
          Reach toInbound = policies.explainReach(client, server, inbound);
          Reach toPort = policies.explainReach(client, server, cp.port());
          List<RuleRef> rules = new ArrayList<>();
          if (!toInbound.ingress().allowed()) {
            rules.addAll(allowing(toPort.ingress()));
          }
          if (!toInbound.egress().allowed()) {
            rules.addAll(allowing(toPort.egress()));
          }
          for (RuleRef r : rules) {
            var key = new Key(r, workload(server), cp.port(), inbound);
            var into = found.computeIfAbsent(key, k -> new TreeSet<>());
            for (PodInfo m : members) {
              // The same Pod by name: comparing whole records cost more than the rest of the loop.
              if (!m.name().equals(server.name()) || !m.namespace().equals(server.namespace())) {
                into.add(m.namespace() + "/" + m.name());
              }
            }
          }
        }
      }
    }
    List<Conflict> out = new ArrayList<>();
    found.forEach((k, clients) -> {
      if (!clients.isEmpty()) {
        out.add(conflict(snapshot, k, List.copyOf(clients)));
      }
    });
    return out;
  }

  /** The inbound port a client would be told to rewrite {@code cp} to, or 0 for none. */
  private static int inboundPort(
      Snapshot snapshot, Resolver resolver, PodInfo server, ContainerPort cp) {
    if (!cp.isTcp()) {
      return 0;
    }
    String ip = server.podIps().getFirst();
    String host = ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip;
    Profile p = resolver.profile(snapshot, Authority.parse(host + ":" + cp.port()));
    Endpoint e = p.endpoint();
    return e == null || e.hint() == null ? 0 : e.hint().opaqueTransportPort();
  }

  private static List<RuleRef> allowing(Verdict v) {
    return v instanceof Verdict.Allowed a ? a.rules() : List.of();
  }

  private static Conflict conflict(Snapshot snapshot, Key k, List<String> clients) {
    ObjectRef ref = k.rule.policy();
    NetworkPolicyInfo policy = policy(snapshot, ref);
    boolean ingress = k.rule.direction() == PolicyType.INGRESS;
    String direction = ingress ? "ingress" : "egress";
    String reason =
        ref.namespace()
            + "/"
            + ref.name()
            + " "
            + direction
            + "["
            + k.rule.index()
            + "] lets "
            + clients.size()
            + (clients.size() == 1 ? " meshed client" : " meshed clients")
            + " reach "
            + k.server.kind()
            + " "
            + k.server.namespace()
            + "/"
            + k.server.name()
            + " on port "
            + k.port
            + ", but "
            + (ingress ? "the server's ingress" : "their egress")
            + " refuses the proxy's inbound port "
            + k.inboundPort
            + ": Portolan does not rewrite their opaque connections to "
            + k.inboundPort
            + " (their proxies keep mTLS on "
            + k.port
            + "). Add port "
            + k.inboundPort
            + " to this rule to let them use the inbound port.";
    String patch =
        policy == null
            ? ""
            : PolicyYaml.withPort(policy, k.rule.direction(), k.rule.index(), k.inboundPort);
    return new Conflict(
        ref, direction, k.rule.index(), k.server, k.port, k.inboundPort, clients, reason, patch);
  }

  private static @Nullable NetworkPolicyInfo policy(Snapshot snapshot, ObjectRef ref) {
    for (NetworkPolicyInfo p : snapshot.networkPolicies().all()) {
      if (p.namespace().equals(ref.namespace()) && p.name().equals(ref.name())) {
        return p;
      }
    }
    return null;
  }

  /** The Pod's workload: a ReplicaSet named {@code <deployment>-<hash>} is its Deployment. */
  static ObjectRef workload(PodInfo pod) {
    OwnerRef owner = pod.owner();
    if (owner == null) {
      return pod.ref();
    }
    String kind = owner.kind();
    String name = owner.name();
    String hash = pod.labels().get("pod-template-hash");
    if (kind.equals("ReplicaSet") && hash != null && name.endsWith("-" + hash)) {
      kind = "Deployment";
      name = name.substring(0, name.length() - hash.length() - 1);
    }
    return new ObjectRef(kind, pod.namespace(), name);
  }

  /** What a conflict is about; sorted so the report reads in a stable order. */
  private record Key(RuleRef rule, ObjectRef server, int port, int inboundPort)
      implements Comparable<Key> {
    private static final Comparator<Key> ORDER =
        Comparator.<Key, String>comparing(k -> k.rule.policy().namespace())
            .thenComparing(k -> k.rule.policy().name())
            .thenComparing(k -> k.rule.direction())
            .thenComparingInt(k -> k.rule.index())
            .thenComparing(k -> k.server.namespace())
            .thenComparing(k -> k.server.kind())
            .thenComparing(k -> k.server.name())
            .thenComparingInt(Key::port);

    @Override
    public int compareTo(Key o) {
      return ORDER.compare(this, o);
    }
  }
}
