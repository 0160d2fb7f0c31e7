package dev.portolan.policy.netpol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.IpBlock;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Port;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.PortRange;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * The evaluator against {@link BruteForce} over generated namespaces, pods, policies and ports, and
 * the client class against its promise (same class, same answers). The vocabularies are small on
 * purpose, so selectors, blocks and named ports often hit.
 */
class NetworkPoliciesPropertyTest {
  static final List<String> NAMESPACES = List.of("a", "b");
  static final List<String> POD_KEYS = List.of("app", "role", "tier");

  /** A pod label that selectors read only through Exists/DoesNotExist. */
  static final String PRESENCE_KEY = "canary";

  static final List<String> POD_VALUES = List.of("web", "db", "x");
  static final List<String> NS_KEYS = List.of("team", "env");
  static final List<String> NS_VALUES = List.of("p", "q");
  static final List<String> POD_IPS =
      List.of(
          "10.0.0.1",
          "10.0.0.5",
          "10.0.0.130",
          "10.0.1.1",
          "172.17.1.5",
          "172.17.2.5",
          "192.168.0.1",
          "fd00::1",
          "fd00::1:5",
          "fd00:1::1");
  static final List<String> HOST_IPS = List.of("192.168.0.1", "192.168.0.2");
  static final List<String> BARE_IPS =
      List.of(
          "10.0.0.2",
          "10.0.0.6",
          "10.2.3.4",
          "172.17.1.9",
          "192.168.0.2",
          "fd00::9",
          "2001:db8::1");
  static final List<ContainerPort> CONTAINER_PORTS =
      List.of(
          new ContainerPort("http", 80, "TCP"),
          new ContainerPort("http", 8080, null),
          new ContainerPort("redis", 6379, "TCP"),
          new ContainerPort("dns", 53, "UDP"),
          new ContainerPort("metrics", 9090, ""));
  static final List<String> PORT_NAMES = List.of("http", "redis", "dns", "metrics", "nope");
  static final int[] PORTS = {53, 80, 81, 4143, 6379, 8080, 9090, 32000, 32768};

  /** Each block as written (cidr, except...), and the record built from that text. */
  static final Map<IpBlock, List<String>> BLOCKS = new LinkedHashMap<>();

  static {
    for (List<String> b :
        List.of(
            List.of("10.0.0.0/24"),
            List.of("10.0.0.0/24", "10.0.0.4/30"),
            List.of("10.0.0.0/8", "10.0.1.0/24", "10.0.0.128/25"),
            List.of("172.17.0.0/16", "172.17.1.0/24"),
            List.of("0.0.0.0/0"),
            List.of("10.0.0.5/32"),
            List.of("192.168.0.0/24"),
            List.of("fd00::/16", "fd00:1::/32"),
            List.of("fd00::/64"),
            List.of("::/0"))) {
      BLOCKS.put(
          new IpBlock(
              Cidr.parse(b.get(0)), b.subList(1, b.size()).stream().map(Cidr::parse).toList()),
          b);
    }
  }

  record World(
      List<NamespaceInfo> namespaces,
      List<PodInfo> pods,
      List<NetworkPolicyInfo> policies,
      List<String> bareIps) {
    NetworkPolicies evaluator() {
      Map<String, NamespaceInfo> byName = new HashMap<>();
      namespaces.forEach(n -> byName.put(n.name(), n));
      List<String> nodes = pods.stream().map(PodInfo::hostIp).filter(Objects::nonNull).toList();
      return NetworkPolicies.of(policies, byName::get, nodes);
    }

    BruteForce bruteForce() {
      return new BruteForce(policies, namespaces, BLOCKS);
    }

    /** Every client: each pod at each of its addresses (or none), and each bare address. */
    List<Client> clients() {
      List<Client> out = new ArrayList<>();
      for (PodInfo p : pods) {
        if (p.podIps().isEmpty()) {
          out.add(new Client(p, Peer.of(p), BruteForce.pod(p, null)));
        }
        for (String ip : p.podIps()) {
          out.add(new Client(p, Peer.of(p, ip), BruteForce.pod(p, ip)));
        }
      }
      for (String ip : bareIps) {
        out.add(new Client(null, Peer.ip(ip), BruteForce.address(ip)));
      }
      return out;
    }
  }

  /** A client (or destination) in both readings; {@code pod} is null for a bare address. */
  record Client(PodInfo pod, Peer peer, BruteForce.End end) {}

  @Property(tries = 500)
  void ingress_and_egress_agree_with_the_brute_force_reading(@ForAll("worlds") World w) {
    NetworkPolicies np = w.evaluator();
    BruteForce bf = w.bruteForce();
    int denied = 0;
    for (PodInfo server : w.pods()) {
      for (Client c : w.clients()) {
        for (int port : PORTS) {
          boolean expected = bf.ingress(server, c.end(), port);
          assertThat(np.ingressAllows(server, c.peer(), port))
              .as("ingress %s <- %s :%d", server.name(), c.peer(), port)
              .isEqualTo(expected);
          assertThat(np.explainIngress(server, c.peer(), port).allowed()).isEqualTo(expected);
          denied += expected ? 0 : 1;
        }
      }
    }
    for (PodInfo client : w.pods()) {
      for (Client to : w.clients()) {
        for (int port : PORTS) {
          boolean expected = bf.egress(client, to.end(), port);
          assertThat(np.egressAllows(client, to.peer(), port))
              .as("egress %s -> %s :%d", client.name(), to.peer(), port)
              .isEqualTo(expected);
          assertThat(np.explainEgress(client, to.peer(), port).allowed()).isEqualTo(expected);
        }
      }
      for (PodInfo server : w.pods()) {
        for (int port : PORTS) {
          boolean expected = bf.reach(client, server, port);
          assertThat(np.reach(client, server, port))
              .as("reach %s -> %s :%d", client.name(), server.name(), port)
              .isEqualTo(expected);
          assertThat(np.explainReach(client, server, port).allowed()).isEqualTo(expected);
        }
      }
    }
    // Guards against a generator drifting into worlds where every answer is "allowed".
    Statistics.label("some ingress denied").collect(denied > 0);
    Statistics.label("some ingress denied").coverage(c -> c.check(true).percentage(p -> p > 30));
  }

  @Property(tries = 500)
  void clients_of_one_class_are_treated_alike(@ForAll("worlds") World w) {
    NetworkPolicies np = w.evaluator();
    List<Client> clients = w.clients();
    Map<ClientClass, Client> representative = new HashMap<>();
    int shared = 0;
    for (Client c : clients) {
      Client r = representative.putIfAbsent(np.clientClass(c.peer()), c);
      if (r == null) {
        continue;
      }
      shared++;
      for (PodInfo server : w.pods()) {
        for (int port : PORTS) {
          assertThat(np.ingressAllows(server, c.peer(), port))
              .as("%s and %s share a class, ingress of %s:%d", c.peer(), r.peer(), server, port)
              .isEqualTo(np.ingressAllows(server, r.peer(), port));
        }
      }
      if (c.pod() != null && r.pod() != null) {
        for (Client to : clients) {
          for (int port : PORTS) {
            assertThat(np.egressAllows(c.pod(), to.peer(), port))
                .as("%s and %s share a class, egress to %s:%d", c.peer(), r.peer(), to, port)
                .isEqualTo(np.egressAllows(r.pod(), to.peer(), port));
          }
        }
      }
    }
    Statistics.label("clients sharing a class").collect(shared > 0);
    Statistics.label("clients sharing a class")
        .coverage(c -> c.check(true).percentage(p -> p > 50));
  }

  /**
   * A snapshot's classes taken over from an earlier one (Pods kept as the same objects, others new,
   * policies and namespaces all different) are the classes a fresh evaluator computes.
   */
  @Property(tries = 300)
  void memoised_classes_are_the_fresh_ones(
      @ForAll("worlds") World before, @ForAll("worlds") World after) {
    NetworkPolicies first = before.evaluator();
    for (PodInfo p : before.pods()) {
      first.clientClass(p);
    }
    List<PodInfo> pods = new ArrayList<>(before.pods());
    pods.addAll(after.pods());
    Map<String, NamespaceInfo> byName = new HashMap<>();
    after.namespaces().forEach(n -> byName.put(n.name(), n));
    List<String> nodes = pods.stream().map(PodInfo::hostIp).filter(Objects::nonNull).toList();
    NetworkPolicies memoised =
        NetworkPolicies.of(after.policies(), byName::get, nodes, first, pods.size());
    NetworkPolicies fresh = NetworkPolicies.of(after.policies(), byName::get, nodes);
    for (PodInfo p : pods) {
      assertThat(memoised.clientClass(p))
          .as("%s after %s", p, before.policies())
          .isEqualTo(fresh.clientClass(Peer.of(p)));
    }
    // reach reads the memoised addresses: still the fresh evaluator's answers.
    for (PodInfo client : pods) {
      for (PodInfo server : after.pods()) {
        for (int port : new int[] {80, 4143}) {
          assertThat(memoised.reach(client, server, port))
              .as("%s to %s:%d", client, server, port)
              .isEqualTo(fresh.reach(client, server, port));
        }
      }
    }
    // The memo is taken over only with equal ingress blocks: make sure that case is exercised.
    Statistics.label("memo taken over")
        .collect(ingressBlocks(before.policies()).equals(ingressBlocks(after.policies())));
    Statistics.label("memo taken over").coverage(c -> c.check(true).percentage(p -> p > 20));
  }

  private static Set<NetworkPolicyInfo.Peer> ingressBlocks(List<NetworkPolicyInfo> policies) {
    Set<NetworkPolicyInfo.Peer> out = new java.util.HashSet<>();
    for (NetworkPolicyInfo p : policies) {
      if (p.affects(PolicyType.INGRESS)) {
        for (Rule r : p.ingress()) {
          r.peers().stream()
              .filter(x -> x instanceof NetworkPolicyInfo.Peer.Block)
              .forEach(out::add);
        }
      }
    }
    return out;
  }

  // ---- generators

  @Provide
  Arbitrary<World> worlds() {
    Arbitrary<List<NamespaceInfo>> namespaces =
        labels(NS_KEYS, NS_VALUES, 0.5)
            .list()
            .ofSize(NAMESPACES.size())
            .map(ls -> {
              List<NamespaceInfo> out = new ArrayList<>();
              for (int i = 0; i < ls.size(); i++) {
                out.add(new NamespaceInfo(NAMESPACES.get(i), ls.get(i), Map.of()));
              }
              return out;
            });
    Arbitrary<List<PodInfo>> pods =
        pod().list().ofMinSize(2).ofMaxSize(5).map(NetworkPoliciesPropertyTest::named);
    Arbitrary<List<NetworkPolicyInfo>> policies =
        policy().list().ofMinSize(1).ofMaxSize(4).map(NetworkPoliciesPropertyTest::numbered);
    Arbitrary<List<String>> bare = Arbitraries.of(BARE_IPS).list().uniqueElements().ofMaxSize(3);
    return Combinators.combine(namespaces, pods, policies, bare).as(World::new);
  }

  static Arbitrary<Map<String, String>> labels(List<String> keys, List<String> values, double p) {
    return Arbitraries.of(values)
        .injectNull(p)
        .list()
        .ofSize(keys.size())
        .map(vs -> {
          Map<String, String> m = new HashMap<>();
          for (int i = 0; i < keys.size(); i++) {
            if (vs.get(i) != null) {
              m.put(keys.get(i), vs.get(i));
            }
          }
          return m;
        });
  }

  static Arbitrary<PodInfo> pod() {
    return Combinators.combine(
            Arbitraries.of(NAMESPACES),
            labels(POD_KEYS, POD_VALUES, 0.4),
            Arbitraries.of("yes", "no").injectNull(0.5),
            Arbitraries.of(POD_IPS).list().uniqueElements().ofMaxSize(2),
            Arbitraries.of(HOST_IPS).injectNull(0.1),
            Arbitraries.subsetOf(CONTAINER_PORTS))
        .as((ns, labels, canary, ips, host, ports) ->
            new PodInfo(
                ns,
                "?",
                withLabel(labels, PRESENCE_KEY, canary),
                Map.of(),
                List.copyOf(ports),
                "default",
                ips,
                host,
                "n",
                "Running",
                true,
                true,
                null,
                null));
  }

  static Map<String, String> withLabel(Map<String, String> labels, String key, String value) {
    Map<String, String> m = new HashMap<>(labels);
    if (value != null) {
      m.put(key, value);
    }
    return m;
  }

  static List<PodInfo> named(List<PodInfo> pods) {
    List<PodInfo> out = new ArrayList<>();
    for (int i = 0; i < pods.size(); i++) {
      PodInfo p = pods.get(i);
      out.add(
          new PodInfo(
              p.namespace(),
              "pod" + i,
              p.labels(),
              p.annotations(),
              p.ports(),
              p.serviceAccount(),
              p.podIps(),
              p.hostIp(),
              p.nodeName(),
              p.phase(),
              p.ready(),
              p.meshed(),
              p.proxyInboundListenAddr(),
              p.owner()));
    }
    return out;
  }

  static List<NetworkPolicyInfo> numbered(List<NetworkPolicyInfo> ps) {
    List<NetworkPolicyInfo> out = new ArrayList<>();
    for (int i = 0; i < ps.size(); i++) {
      NetworkPolicyInfo p = ps.get(i);
      out.add(
          new NetworkPolicyInfo(
              p.namespace(), "np" + i, p.podSelector(), p.policyTypes(), p.ingress(), p.egress()));
    }
    return out;
  }

  static Arbitrary<LabelSelector> selector(
      List<String> keys, List<String> values, String presenceKey) {
    Arbitrary<LabelSelector.Requirement> presence =
        Arbitraries.of("Exists", "DoesNotExist")
            .map(op -> new LabelSelector.Requirement(presenceKey, op, List.of()));
    Arbitrary<LabelSelector.Requirement> value =
        Combinators.combine(
                Arbitraries.of(keys),
                Arbitraries.of("In", "NotIn", "Exists", "DoesNotExist"),
                Arbitraries.subsetOf(values))
            .as((k, op, vs) ->
                new LabelSelector.Requirement(
                    k, op, op.endsWith("In") ? List.copyOf(vs) : List.of()));
    Arbitrary<LabelSelector.Requirement> requirement =
        Arbitraries.frequencyOf(Tuple.of(3, value), Tuple.of(1, presence));
    return Combinators.combine(labels(keys, values, 0.75), requirement.list().ofMaxSize(2))
        .as(LabelSelector::new);
  }

  static Arbitrary<NetworkPolicyInfo.Peer> peer() {
    Arbitrary<NetworkPolicyInfo.Peer> pods =
        Combinators.combine(
                selector(POD_KEYS, POD_VALUES, PRESENCE_KEY).injectNull(0.3),
                selector(NS_KEYS, NS_VALUES, "frozen").injectNull(0.5))
            .as((ps, nss) ->
                ps == null && nss == null
                    ? new NetworkPolicyInfo.Peer.Pods(LabelSelector.EVERYTHING, null)
                    : new NetworkPolicyInfo.Peer.Pods(ps, nss));
    Arbitrary<NetworkPolicyInfo.Peer> block =
        Arbitraries.of(List.copyOf(BLOCKS.keySet())).map(NetworkPolicyInfo.Peer.Block::new);
    return Arbitraries.oneOf(pods, block);
  }

  static Arbitrary<Port> port() {
    Arbitrary<String> protocol = Arbitraries.of("TCP", "TCP", "TCP", "UDP", "SCTP");
    Arbitrary<Integer> number = Arbitraries.of(53, 80, 81, 4143, 6379, 8080, 9090, 32000);
    Arbitrary<Port> all = protocol.map(Port.All::new);
    Arbitrary<Port> single =
        Combinators.combine(protocol, number).as((p, n) -> new Port.Numbers(p, PortRange.of(n)));
    Arbitrary<Port> range =
        Combinators.combine(protocol, number, Arbitraries.integers().between(0, 5000))
            .as((p, n, len) -> new Port.Numbers(p, new PortRange(n, Math.min(65535, n + len))));
    Arbitrary<Port> named =
        Combinators.combine(protocol, Arbitraries.of(PORT_NAMES)).as(Port.Named::new);
    return Arbitraries.oneOf(all, single, range, named);
  }

  static Arbitrary<Rule> rule() {
    return Combinators.combine(peer().list().ofMaxSize(3), port().list().ofMaxSize(3))
        .as(Rule::new);
  }

  static Arbitrary<NetworkPolicyInfo> policy() {
    // null: policyTypes left to the API server's default.
    Arbitrary<Set<PolicyType>> types =
        Arbitraries.of(
                Set.of(PolicyType.INGRESS),
                Set.of(PolicyType.EGRESS),
                Set.of(PolicyType.INGRESS, PolicyType.EGRESS))
            .injectNull(0.4);
    return Combinators.combine(
            Arbitraries.of(NAMESPACES),
            selector(POD_KEYS, POD_VALUES, PRESENCE_KEY),
            types,
            rule().list().ofMaxSize(2),
            rule().list().ofMaxSize(2))
        .as((ns, sel, t, in, out) ->
            new NetworkPolicyInfo(
                ns, "?", sel, t == null ? NetworkPolicyInfo.defaultPolicyTypes(out) : t, in, out));
  }
}
