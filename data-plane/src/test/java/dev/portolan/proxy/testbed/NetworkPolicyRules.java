package dev.portolan.proxy.testbed;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The test enforcer's reading of a bed's manifests (docs/design/test-bed.md, <i>The enforcer</i>):
 * the Namespaces, Pods and NetworkPolicies, and the iptables rules a CNI would install for them.
 *
 * <p>Written from the Kubernetes documentation, independently of the policy-server's evaluator: the
 * tests use this to check that evaluator, so it must not share its code. It supports only the
 * shapes the bed's tests use, and refuses any other with the object, the field and why:
 *
 * <ul>
 *   <li>{@code podSelector} by {@code matchLabels} ({@code {}} selects every pod of the namespace);
 *   <li>{@code policyTypes}, or the API server's default (Ingress, plus Egress when the policy has
 *       an {@code egress} section);
 *   <li>peers by {@code podSelector}, {@code namespaceSelector} (both by {@code matchLabels}, alone
 *       or together) or an {@code ipBlock} without {@code except};
 *   <li>ports as numbers, TCP, with an optional {@code endPort}; no named ports.
 * </ul>
 *
 * A Namespace carries the label {@code kubernetes.io/metadata.name} as the API server sets it.
 */
public final class NetworkPolicyRules {
  /** The chain {@code FORWARD} jumps to; everything else hangs from it. */
  public static final String CHAIN = "PTB-FWD";

  private NetworkPolicyRules() {}

  /** A pod of the manifests, with its address. */
  public record PodInfo(String namespace, String name, String ip, Map<String, String> labels) {}

  /** A peer of a rule: selectors (null: not given) or an address block. */
  public record Peer(
      @Nullable Map<String, String> pods,
      @Nullable Map<String, String> namespaces,
      @Nullable String cidr) {}

  /** A TCP port range, inclusive. */
  public record Ports(int from, int to) {}

  /** One ingress or egress rule: no peers means every peer, no ports every port. */
  public record Rule(List<Peer> peers, List<Ports> ports) {}

  /** A NetworkPolicy as the enforcer understands it. */
  public record Policy(
      String namespace,
      String name,
      Map<String, String> podSelector,
      boolean ingress,
      boolean egress,
      List<Rule> ingressRules,
      List<Rule> egressRules) {}

  /** What the manifests say: namespaces with their labels, pods, policies. */
  public record Cluster(
      Map<String, Map<String, String>> namespaces, List<PodInfo> pods, List<Policy> policies) {}

  /**
   * Reads every document of every file (name → text); kinds other than Namespace, Pod and
   * NetworkPolicy are ignored.
   *
   * @throws IllegalArgumentException naming the file, object and field of a shape not supported
   */
  public static Cluster parse(Map<String, String> files) {
    Map<String, Map<String, String>> namespaces = new TreeMap<>();
    List<PodInfo> pods = new ArrayList<>();
    List<Policy> policies = new ArrayList<>();
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    for (var f : new TreeMap<>(files).entrySet()) {
      for (Object doc : yaml.loadAll(f.getValue())) {
        if (!(doc instanceof Map<?, ?> m)) {
          continue;
        }
        String kind = String.valueOf(m.get("kind"));
        Map<?, ?> meta = map(m.get("metadata"));
        String ns = meta.get("namespace") == null ? "default" : meta.get("namespace").toString();
        String name = String.valueOf(meta.get("name"));
        String where = "%s %s/%s (file %s)".formatted(kind, ns, name, f.getKey());
        switch (kind) {
          case "Namespace" -> {
            Map<String, String> labels = new TreeMap<>(labels(meta.get("labels"), where));
            labels.put("kubernetes.io/metadata.name", name);
            namespaces.put(name, labels);
          }
          case "Pod" -> {
            Object ip = map(m.get("status")).get("podIP");
            if (ip != null) {
              pods.add(new PodInfo(ns, name, ip.toString(), labels(meta.get("labels"), where)));
            }
          }
          case "NetworkPolicy" -> policies.add(policy(ns, name, map(m.get("spec")), where));
          default -> {}
        }
      }
    }
    for (PodInfo p : pods) {
      namespaces.computeIfAbsent(
          p.namespace(), n -> new TreeMap<>(Map.of("kubernetes.io/metadata.name", n)));
    }
    return new Cluster(namespaces, List.copyOf(pods), List.copyOf(policies));
  }

  private static Policy policy(String ns, String name, Map<?, ?> spec, String where) {
    Map<String, String> selector = selector(spec.get("podSelector"), where + ": spec.podSelector");
    boolean ingress;
    boolean egress;
    if (spec.get("policyTypes") instanceof List<?> types) {
      for (Object t : types) {
        if (!"Ingress".equals(t) && !"Egress".equals(t)) {
          throw new IllegalArgumentException(
              where + ": spec.policyTypes: '" + t + "' is neither Ingress nor Egress");
        }
      }
      ingress = types.contains("Ingress");
      egress = types.contains("Egress");
    } else {
      // The API server's default: every policy isolates for ingress; for egress only when it has
      // an egress section.
      ingress = true;
      egress = spec.containsKey("egress");
    }
    return new Policy(
        ns,
        name,
        selector,
        ingress,
        egress,
        rules(spec.get("ingress"), "from", where + ": spec.ingress"),
        rules(spec.get("egress"), "to", where + ": spec.egress"));
  }

  private static List<Rule> rules(@Nullable Object list, String peersKey, String where) {
    List<Rule> out = new ArrayList<>();
    if (list == null) {
      return out;
    }
    if (!(list instanceof List<?> l)) {
      throw new IllegalArgumentException(where + ": not a list");
    }
    for (int i = 0; i < l.size(); i++) {
      String at = where + "[" + i + "]";
      Map<?, ?> rule = map(l.get(i));
      List<Peer> peers = new ArrayList<>();
      if (rule.get(peersKey) instanceof List<?> ps) {
        for (int j = 0; j < ps.size(); j++) {
          peers.add(peer(map(ps.get(j)), at + "." + peersKey + "[" + j + "]"));
        }
      }
      List<Ports> ports = new ArrayList<>();
      if (rule.get("ports") instanceof List<?> pl) {
        for (int j = 0; j < pl.size(); j++) {
          ports.add(ports(map(pl.get(j)), at + ".ports[" + j + "]"));
        }
      }
      out.add(new Rule(List.copyOf(peers), List.copyOf(ports)));
    }
    return out;
  }

  private static Peer peer(Map<?, ?> p, String at) {
    if (p.get("ipBlock") != null) {
      Map<?, ?> block = map(p.get("ipBlock"));
      if (block.get("except") != null) {
        throw unsupported(at + ".ipBlock.except");
      }
      return new Peer(null, null, String.valueOf(block.get("cidr")));
    }
    Map<String, String> pods =
        p.containsKey("podSelector") ? selector(p.get("podSelector"), at + ".podSelector") : null;
    Map<String, String> nss =
        p.containsKey("namespaceSelector")
            ? selector(p.get("namespaceSelector"), at + ".namespaceSelector")
            : null;
    if (pods == null && nss == null) {
      throw new IllegalArgumentException(
          at + ": a peer needs podSelector, namespaceSelector or ipBlock");
    }
    return new Peer(pods, nss, null);
  }

  private static Ports ports(Map<?, ?> p, String at) {
    Object protocol = p.get("protocol");
    if (protocol != null && !"TCP".equals(protocol)) {
      throw unsupported(at + ".protocol " + protocol);
    }
    Object port = p.get("port");
    if (port == null) {
      return new Ports(1, 65535); // a port entry without a port: every port of the protocol
    }
    int from = number(port, at + ".port");
    int to = p.get("endPort") == null ? from : number(p.get("endPort"), at + ".endPort");
    return new Ports(from, to);
  }

  private static int number(Object v, String at) {
    if (v instanceof Integer i) {
      return i;
    }
    try {
      return Integer.parseInt(v.toString());
    } catch (NumberFormatException e) {
      throw unsupported(at + " '" + v + "' (a named port)");
    }
  }

  private static Map<String, String> selector(@Nullable Object s, String at) {
    Map<?, ?> m = map(s);
    if (m.get("matchExpressions") != null) {
      throw unsupported(at + ".matchExpressions");
    }
    return labels(m.get("matchLabels"), at);
  }

  private static Map<String, String> labels(@Nullable Object o, String at) {
    Map<String, String> out = new TreeMap<>();
    if (o == null) {
      return out;
    }
    if (!(o instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException(at + ": labels are not a map: " + o);
    }
    m.forEach((k, v) -> out.put(k.toString(), String.valueOf(v)));
    return out;
  }

  private static Map<?, ?> map(@Nullable Object o) {
    return o instanceof Map<?, ?> m ? m : Map.of();
  }

  private static IllegalArgumentException unsupported(String what) {
    return new IllegalArgumentException(
        what
            + ": not supported by the test enforcer (it reads matchLabels selectors, ipBlock"
            + " without except, numeric TCP ports with endPort; docs/design/test-bed.md)");
  }

  /**
   * The {@code iptables-restore --noflush} input for the node's filter table: every pod's chains
   * declared (so re-applying flushes them), then for each pod isolated for egress a jump on packets
   * it sends (bridge port in = its veth), for each pod isolated for ingress a jump on packets sent
   * to it (bridge port out = its veth), replies of allowed connections accepted first, as a CNI's
   * stateful rules do. Denied packets are dropped, not rejected: the client sees a timeout, as
   * behind most CNIs.
   *
   * @param veths the node end of each pod's veth, by pod IP (pods without one are not on this node)
   */
  public static String restoreScript(Cluster c, Map<String, String> veths) {
    StringBuilder chains = new StringBuilder("*filter\n:" + CHAIN + " - [0:0]\n");
    // Replies of allowed connections first: without this an isolated pod's own outbound
    // connections would lose their replies (a RST, a SYN-ACK) in its ingress chain.
    StringBuilder stateful =
        new StringBuilder(
            "-A " + CHAIN + " -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n");
    StringBuilder rules = new StringBuilder();
    StringBuilder jumpsOut = new StringBuilder();
    StringBuilder jumpsIn = new StringBuilder();
    for (PodInfo pod : c.pods()) {
      String veth = veths.get(pod.ip());
      if (veth == null) {
        continue;
      }
      String in = "PTB-I-" + veth;
      String out = "PTB-E-" + veth;
      chains.append(':').append(in).append(" - [0:0]\n:").append(out).append(" - [0:0]\n");
      List<String> allowIn = new ArrayList<>();
      List<String> allowOut = new ArrayList<>();
      boolean isolatedIn = false;
      boolean isolatedOut = false;
      for (Policy p : c.policies()) {
        if (!p.namespace().equals(pod.namespace()) || !matches(p.podSelector(), pod.labels())) {
          continue;
        }
        String name = p.namespace() + "/" + p.name();
        if (p.ingress()) {
          isolatedIn = true;
          allow(c, p, p.ingressRules(), "-s", name + " ingress", allowIn);
        }
        if (p.egress()) {
          isolatedOut = true;
          allow(c, p, p.egressRules(), "-d", name + " egress", allowOut);
        }
      }
      if (isolatedOut) {
        jumpsOut.append(
            "-A %s -m physdev --physdev-in %s --physdev-is-bridged -j %s\n"
                .formatted(CHAIN, veth, out));
        // RETURN: the destination's ingress chain still has its say.
        allowOut.forEach(r -> rules.append("-A ").append(out).append(r).append(" -j RETURN\n"));
        rules.append("-A %s -j DROP\n".formatted(out));
      }
      if (isolatedIn) {
        jumpsIn.append(
            "-A %s -m physdev --physdev-out %s --physdev-is-bridged -j %s\n"
                .formatted(CHAIN, veth, in));
        allowIn.forEach(r -> rules.append("-A ").append(in).append(r).append(" -j ACCEPT\n"));
        rules.append("-A %s -j DROP\n".formatted(in));
      }
    }
    return chains.toString() + stateful + jumpsOut + jumpsIn + rules + "COMMIT\n";
  }

  /** The match part of one iptables rule per (peer address, port range) of each rule. */
  private static void allow(
      Cluster c, Policy p, List<Rule> list, String addrFlag, String what, List<String> out) {
    for (int i = 0; i < list.size(); i++) {
      Rule r = list.get(i);
      List<String> addrs = new ArrayList<>();
      if (r.peers().isEmpty()) {
        addrs.add("");
      }
      for (Peer peer : r.peers()) {
        if (peer.cidr() != null) {
          addrs.add(" " + addrFlag + " " + peer.cidr());
        } else {
          for (PodInfo q : c.pods()) {
            if (peerSelects(c, p, peer, q)) {
              addrs.add(" " + addrFlag + " " + q.ip() + "/32");
            }
          }
        }
      }
      List<String> ports = new ArrayList<>();
      if (r.ports().isEmpty()) {
        ports.add("");
      }
      for (Ports pr : r.ports()) {
        ports.add(
            " -p tcp -m tcp --dport "
                + (pr.from() == pr.to() ? pr.from() : pr.from() + ":" + pr.to()));
      }
      String comment = " -m comment --comment \"" + what + "[" + i + "]\"";
      for (String a : addrs) {
        for (String port : ports) {
          out.add(a + port + comment);
        }
      }
    }
  }

  private static boolean peerSelects(Cluster c, Policy p, Peer peer, PodInfo q) {
    boolean nsOk =
        peer.namespaces() == null
            ? q.namespace().equals(p.namespace())
            : matches(peer.namespaces(), c.namespaces().getOrDefault(q.namespace(), Map.of()));
    return nsOk && (peer.pods() == null || matches(peer.pods(), q.labels()));
  }

  private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    return labels.entrySet().containsAll(selector.entrySet());
  }
}
