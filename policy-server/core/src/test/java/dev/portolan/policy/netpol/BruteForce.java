package dev.portolan.policy.netpol;

import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Port;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.PodInfo;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A deliberately naive second reading of NetworkPolicy semantics, for the property test: every
 * question walks every policy, rule, peer and port literally, with its own selector matching and
 * its own bit-by-bit CIDR test on the texts the policies were written with. No caches, no indexes,
 * nothing shared with {@link NetworkPolicies} but the input records.
 */
final class BruteForce {
  /** One end of a connection: a pod (namespace non-null) or a bare address. */
  record End(String namespace, Map<String, String> labels, String ip, List<ContainerPort> ports) {}

  private final List<NetworkPolicyInfo> policies;
  private final List<NamespaceInfo> namespaces;
  private final Map<NetworkPolicyInfo.IpBlock, List<String>> blockTexts;

  /**
   * @param blockTexts each ipBlock as written: its cidr, then its except entries
   */
  BruteForce(
      List<NetworkPolicyInfo> policies,
      List<NamespaceInfo> namespaces,
      Map<NetworkPolicyInfo.IpBlock, List<String>> blockTexts) {
    this.policies = policies;
    this.namespaces = namespaces;
    this.blockTexts = blockTexts;
  }

  static End pod(PodInfo p, String ip) {
    return new End(p.namespace(), p.labels(), ip, p.ports());
  }

  static End address(String ip) {
    return new End(null, Map.of(), ip, List.of());
  }

  boolean ingress(PodInfo server, End client, int port) {
    boolean isolated = false;
    boolean allowed = false;
    for (NetworkPolicyInfo p : policies) {
      if (p.namespace().equals(server.namespace())
          && selects(p.podSelector(), server.labels())
          && p.policyTypes().contains(PolicyType.INGRESS)) {
        isolated = true;
        for (Rule r : p.ingress()) {
          if (anyPeer(p, r, client) && anyPort(r, port, server.ports())) {
            allowed = true;
          }
        }
      }
    }
    if (!isolated) {
      return true;
    }
    if (client.ip() != null
        && server.hostIp() != null
        && sameAddress(client.ip(), server.hostIp())) {
      return true;
    }
    return allowed;
  }

  boolean egress(PodInfo client, End server, int port) {
    boolean isolated = false;
    boolean allowed = false;
    for (NetworkPolicyInfo p : policies) {
      if (p.namespace().equals(client.namespace())
          && selects(p.podSelector(), client.labels())
          && p.policyTypes().contains(PolicyType.EGRESS)) {
        isolated = true;
        for (Rule r : p.egress()) {
          if (anyPeer(p, r, server) && anyPort(r, port, server.ports())) {
            allowed = true;
          }
        }
      }
    }
    return !isolated || allowed;
  }

  /** To the server's first address, from the client's first address of the same family. */
  boolean reach(PodInfo client, PodInfo server, int port) {
    String to = server.podIps().isEmpty() ? null : server.podIps().get(0);
    String from = client.podIps().isEmpty() ? null : client.podIps().get(0);
    if (to != null) {
      for (String ip : client.podIps()) {
        if (ip.contains(":") == to.contains(":")) {
          from = ip;
          break;
        }
      }
    }
    return egress(client, pod(server, to), port) && ingress(server, pod(client, from), port);
  }

  private boolean anyPeer(NetworkPolicyInfo p, Rule r, End other) {
    if (r.peers().isEmpty()) {
      return true;
    }
    for (NetworkPolicyInfo.Peer peer : r.peers()) {
      if (peer instanceof NetworkPolicyInfo.Peer.Block b) {
        if (other.ip() != null && inBlock(other.ip(), blockTexts.get(b.block()))) {
          return true;
        }
      } else if (peer instanceof NetworkPolicyInfo.Peer.Pods pods && other.namespace() != null) {
        boolean ns;
        if (pods.namespaceSelector() == null) {
          ns = other.namespace().equals(p.namespace());
        } else {
          ns = selects(pods.namespaceSelector(), namespaceLabels(other.namespace()));
        }
        boolean labels = pods.podSelector() == null || selects(pods.podSelector(), other.labels());
        if (ns && labels) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean anyPort(Rule r, int port, List<ContainerPort> destination) {
    if (r.ports().isEmpty()) {
      return true;
    }
    for (Port p : r.ports()) {
      if (!p.protocol().equals("TCP")) {
        continue;
      }
      if (p instanceof Port.All) {
        return true;
      }
      if (p instanceof Port.Numbers n) {
        for (int q = n.range().lo(); q <= n.range().hi(); q++) {
          if (q == port) {
            return true;
          }
        }
      }
      if (p instanceof Port.Named n) {
        for (ContainerPort cp : destination) {
          String proto = cp.protocol() == null || cp.protocol().isEmpty() ? "TCP" : cp.protocol();
          if (cp.name().equals(n.name()) && proto.equals("TCP") && cp.port() == port) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private Map<String, String> namespaceLabels(String name) {
    Map<String, String> labels = new HashMap<>();
    for (NamespaceInfo n : namespaces) {
      if (n.name().equals(name)) {
        labels.putAll(n.labels());
      }
    }
    labels.putIfAbsent("kubernetes.io/metadata.name", name);
    return labels;
  }

  static boolean selects(LabelSelector s, Map<String, String> labels) {
    for (var e : s.matchLabels().entrySet()) {
      if (!Objects.equals(labels.get(e.getKey()), e.getValue())) {
        return false;
      }
    }
    for (LabelSelector.Requirement r : s.matchExpressions()) {
      boolean has = labels.containsKey(r.key());
      boolean ok =
          switch (r.operator()) {
            case "In" -> has && r.values().contains(labels.get(r.key()));
            case "NotIn" -> !has || !r.values().contains(labels.get(r.key()));
            case "Exists" -> has;
            case "DoesNotExist" -> !has;
            default -> false;
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean inBlock(String ip, List<String> texts) {
    if (!inCidr(ip, texts.get(0))) {
      return false;
    }
    for (String except : texts.subList(1, texts.size())) {
      if (inCidr(ip, except)) {
        return false;
      }
    }
    return true;
  }

  /** Compares the first prefix bits one at a time. */
  private static boolean inCidr(String ip, String cidr) {
    String[] parts = cidr.split("/");
    byte[] a = InetAddress.ofLiteral(ip).getAddress();
    byte[] n = InetAddress.ofLiteral(parts[0]).getAddress();
    if (a.length != n.length) {
      return false;
    }
    int prefix = Integer.parseInt(parts[1]);
    for (int bit = 0; bit < prefix; bit++) {
      int shift = 7 - bit % 8;
      if (((a[bit / 8] >> shift) & 1) != ((n[bit / 8] >> shift) & 1)) {
        return false;
      }
    }
    return true;
  }

  private static boolean sameAddress(String a, String b) {
    return InetAddress.ofLiteral(a).equals(InetAddress.ofLiteral(b));
  }
}
