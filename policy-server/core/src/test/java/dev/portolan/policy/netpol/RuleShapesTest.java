package dev.portolan.policy.netpol;

import static dev.portolan.policy.netpol.Fixtures.allPorts;
import static dev.portolan.policy.netpol.Fixtures.expr;
import static dev.portolan.policy.netpol.Fixtures.ipBlock;
import static dev.portolan.policy.netpol.Fixtures.named;
import static dev.portolan.policy.netpol.Fixtures.namespace;
import static dev.portolan.policy.netpol.Fixtures.namespaces;
import static dev.portolan.policy.netpol.Fixtures.pod;
import static dev.portolan.policy.netpol.Fixtures.pods;
import static dev.portolan.policy.netpol.Fixtures.podsIn;
import static dev.portolan.policy.netpol.Fixtures.policy;
import static dev.portolan.policy.netpol.Fixtures.rule;
import static dev.portolan.policy.netpol.Fixtures.sctp;
import static dev.portolan.policy.netpol.Fixtures.sel;
import static dev.portolan.policy.netpol.Fixtures.tcp;
import static dev.portolan.policy.netpol.Fixtures.udp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.PodInfo;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rule shape, one table row each: which clients reach which port of the server under which
 * policies. The server is prod/db; the clients differ in namespace, labels and address.
 */
class RuleShapesTest {
  static final NamespaceInfo PROD = namespace("prod", "team", "a");
  static final NamespaceInfo DEV = namespace("dev", "team", "b");
  static final NamespaceInfo OTHER = namespace("other");

  static final PodInfo DB =
      pod("prod", "db")
          .label("app", "db")
          .ip("10.1.0.10", "fd00:1::10")
          .host("192.168.0.1")
          .port("redis", 6379)
          .port("http", 8080)
          .port("dns", 53, "UDP")
          .build();

  static final Map<String, Peer> CLIENTS =
      Map.of(
          "prod/web",
          Peer.of(pod("prod", "web").label("app", "web").ip("10.1.1.5").build()),
          "prod/job",
          Peer.of(pod("prod", "job").label("app", "job").ip("10.1.1.6").build()),
          "dev/web",
          Peer.of(pod("dev", "web").label("app", "web").ip("10.1.2.7").build()),
          "dev/job",
          Peer.of(pod("dev", "job").label("app", "job").ip("10.1.3.8").build()),
          "other/web",
          Peer.of(pod("other", "web").label("app", "web").ip("10.1.4.9").build()),
          "prod/web6",
          Peer.of(pod("prod", "web6").label("app", "web").ip("fd00:1::5").build()),
          "ip 203.0.113.9",
          Peer.ip("203.0.113.9"),
          "ip 10.1.9.9",
          Peer.ip("10.1.9.9"),
          "node 192.168.0.1",
          Peer.ip("192.168.0.1"),
          "node 192.168.0.2",
          Peer.ip("192.168.0.2"));

  record Case(String name, List<NetworkPolicyInfo> policies, String client, int port, boolean ok) {
    @Override
    public String toString() {
      return name + ": " + client + " -> db:" + port + (ok ? " allowed" : " denied");
    }
  }

  static Case allow(String name, List<NetworkPolicyInfo> ps, String client, int port) {
    return new Case(name, ps, client, port, true);
  }

  static Case deny(String name, List<NetworkPolicyInfo> ps, String client, int port) {
    return new Case(name, ps, client, port, false);
  }

  static NetworkPolicyInfo dbIngress(Fixtures.RuleBuilder... rules) {
    return policy("prod", "db-in").select("app", "db").ingress(rules).build();
  }

  static Stream<Case> ingress() {
    var denyAll = List.of(policy("prod", "deny").build());
    var webOnly = List.of(dbIngress(rule().peers(pods(sel("app", "web")))));
    var devNs = List.of(dbIngress(rule().peers(namespaces(sel("team", "b")))));
    var devWebBoth = List.of(dbIngress(rule().peers(podsIn(sel("team", "b"), sel("app", "web")))));
    var devOrWeb =
        List.of(dbIngress(rule().peers(namespaces(sel("team", "b")), pods(sel("app", "web")))));
    var anyNs = List.of(dbIngress(rule().peers(namespaces(LabelSelector.EVERYTHING))));
    var ownNs = List.of(dbIngress(rule().peers(pods(LabelSelector.EVERYTHING))));
    var block = List.of(dbIngress(rule().peers(ipBlock("10.1.0.0/16", "10.1.2.0/24"))));
    var block6 = List.of(dbIngress(rule().peers(ipBlock("fd00:1::/64"))));
    var namedRedis = List.of(dbIngress(rule().ports(named("redis"))));
    var namedDns = List.of(dbIngress(rule().ports(named("dns"))));
    var range = List.of(dbIngress(rule().ports(tcp(6000, 7000))));
    var fromOnly = List.of(dbIngress(rule().peers(pods(sel("app", "web")))));
    var portsOnly = List.of(dbIngress(rule().ports(tcp(6379))));
    var emptyRule = List.of(dbIngress(rule()));
    var noRules =
        List.of(policy("prod", "db-in").select("app", "db").types(PolicyType.INGRESS).build());
    var egressOnly =
        List.of(policy("prod", "db-out").select("app", "db").types(PolicyType.EGRESS).build());
    var ingressIgnored =
        List.of(
            policy("prod", "p")
                .select("app", "db")
                .types(PolicyType.EGRESS)
                .ingress(rule().peers(pods(sel("app", "web"))))
                .build());
    var defaultedWithEgress =
        List.of(policy("prod", "p").select("app", "db").egress(rule()).build());
    var union =
        List.of(
            policy("prod", "a")
                .select("app", "db")
                .ingress(rule().peers(pods(sel("app", "web"))).ports(tcp(6379)))
                .build(),
            policy("prod", "b")
                .select("app", "db")
                .ingress(rule().peers(pods(sel("app", "job"))).ports(tcp(8080)))
                .build());
    var otherNsDeny = List.of(policy("dev", "deny").build());
    var otherPods = List.of(policy("prod", "cache").select("app", "cache").build());
    var udpOnly = List.of(dbIngress(rule().ports(udp(6379))));
    var sctpOnly = List.of(dbIngress(rule().ports(sctp(6379))));
    var allUdp = List.of(dbIngress(rule().ports(allPorts("UDP"))));
    var allTcp = List.of(dbIngress(rule().ports(allPorts("TCP"))));
    var in = List.of(dbIngress(rule().peers(pods(expr("app", "In", "web", "job")))));
    var notIn = List.of(dbIngress(rule().peers(pods(expr("app", "NotIn", "web")))));
    var exists = List.of(dbIngress(rule().peers(namespaces(expr("team", "Exists")))));
    var notExists = List.of(dbIngress(rule().peers(namespaces(expr("team", "DoesNotExist")))));
    var selectsByExpr =
        List.of(policy("prod", "deny").select(expr("app", "In", "db", "cache")).build());
    return Stream.of(
        allow("no policies", List.of(), "ip 203.0.113.9", 6379),
        deny("default deny", denyAll, "prod/web", 6379),
        deny("default deny", denyAll, "ip 203.0.113.9", 6379),
        allow("policy selects other pods", otherPods, "prod/web", 6379),
        deny("policy selected by matchExpressions", selectsByExpr, "prod/web", 6379),
        allow("podSelector peer", webOnly, "prod/web", 6379),
        deny("podSelector peer: other labels", webOnly, "prod/job", 6379),
        deny("podSelector peer: own namespace only", webOnly, "dev/web", 6379),
        deny("podSelector peer: not a bare address", webOnly, "ip 10.1.9.9", 6379),
        allow("namespaceSelector peer", devNs, "dev/job", 6379),
        allow("namespaceSelector peer", devNs, "dev/web", 6379),
        deny("namespaceSelector peer: other namespace", devNs, "prod/web", 6379),
        deny("namespaceSelector peer: not a bare address", devNs, "ip 10.1.9.9", 6379),
        allow("namespace and pod selector in one peer", devWebBoth, "dev/web", 6379),
        deny("namespace and pod selector in one peer", devWebBoth, "dev/job", 6379),
        deny("namespace and pod selector in one peer", devWebBoth, "prod/web", 6379),
        allow("namespace or pod selector, two peers", devOrWeb, "dev/job", 6379),
        allow("namespace or pod selector, two peers", devOrWeb, "prod/web", 6379),
        deny("namespace or pod selector, two peers", devOrWeb, "prod/job", 6379),
        allow("namespaceSelector {} selects every namespace", anyNs, "other/web", 6379),
        deny("namespaceSelector {} selects no bare address", anyNs, "ip 203.0.113.9", 6379),
        allow("podSelector {} selects the own namespace", ownNs, "prod/job", 6379),
        deny("podSelector {} selects the own namespace", ownNs, "dev/job", 6379),
        allow("ipBlock matches a pod by address", block, "prod/web", 6379),
        allow("ipBlock matches a bare address", block, "ip 10.1.9.9", 6379),
        deny("ipBlock except", block, "dev/web", 6379),
        deny("ipBlock outside", block, "ip 203.0.113.9", 6379),
        allow("ipBlock IPv6", block6, "prod/web6", 6379),
        deny("ipBlock IPv6 vs IPv4 client", block6, "prod/web", 6379),
        allow("named port", namedRedis, "prod/web", 6379),
        deny("named port: other number", namedRedis, "prod/web", 8080),
        deny("named port on a UDP container port", namedDns, "prod/web", 53),
        allow("endPort range start", range, "prod/web", 6000),
        allow("endPort range inside", range, "prod/web", 6379),
        allow("endPort range end", range, "prod/web", 7000),
        deny("endPort range after", range, "prod/web", 7001),
        deny("endPort range before", range, "prod/web", 5999),
        allow("no ports: every port", fromOnly, "prod/web", 4143),
        allow("no from: every peer", portsOnly, "ip 203.0.113.9", 6379),
        deny("no from: still only its ports", portsOnly, "ip 203.0.113.9", 4143),
        allow("empty rule allows all", emptyRule, "ip 203.0.113.9", 4143),
        deny("ingress: [] allows nothing", noRules, "prod/web", 6379),
        allow("egress-only policy leaves ingress open", egressOnly, "prod/web", 6379),
        allow("ingress rules of a [Egress] policy are not read", ingressIgnored, "prod/job", 1),
        deny("defaulted policyTypes include Ingress", defaultedWithEgress, "prod/web", 6379),
        allow("union of policies: a", union, "prod/web", 6379),
        deny("union of policies: a's port only", union, "prod/web", 8080),
        allow("union of policies: b", union, "prod/job", 8080),
        deny("union of policies: b's port only", union, "prod/job", 6379),
        allow("other namespace's policy ignored", otherNsDeny, "dev/web", 6379),
        deny("UDP rule does not allow TCP", udpOnly, "prod/web", 6379),
        deny("SCTP rule does not allow TCP", sctpOnly, "prod/web", 6379),
        deny("all UDP ports do not allow TCP", allUdp, "prod/web", 6379),
        allow("all TCP ports", allTcp, "prod/web", 6379),
        allow("In", in, "prod/job", 6379),
        deny("NotIn", notIn, "prod/web", 6379),
        allow("NotIn", notIn, "prod/job", 6379),
        allow("Exists", exists, "dev/web", 6379),
        deny("Exists", exists, "other/web", 6379),
        allow("DoesNotExist", notExists, "other/web", 6379),
        deny("DoesNotExist", notExists, "prod/web", 6379),
        allow("the pod's own node always", denyAll, "node 192.168.0.1", 6379),
        deny("another node", denyAll, "node 192.168.0.2", 6379));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ingress")
  void ingress_rule_shapes(Case c) {
    NetworkPolicies np = Fixtures.world(c.policies(), PROD, DEV, OTHER);
    Peer client = CLIENTS.get(c.client());
    assertThat(np.ingressAllows(DB, client, c.port())).as(c.toString()).isEqualTo(c.ok());
    assertThat(np.explainIngress(DB, client, c.port()).allowed()).isEqualTo(c.ok());
  }

  // ---- egress: the client is prod/web; the destinations differ

  static final PodInfo WEB = pod("prod", "web").label("app", "web").ip("10.1.1.5").build();

  static final Map<String, Peer> DESTINATIONS =
      Map.of(
          "prod/db",
          Peer.of(DB),
          "prod/db6",
          Peer.of(DB, "fd00:1::10"),
          "dev/db",
          Peer.of(pod("dev", "db").label("app", "db").ip("10.1.2.10").port("redis", 6379).build()),
          "ip 10.0.0.7",
          Peer.ip("10.0.0.7"),
          "ip 10.0.1.7",
          Peer.ip("10.0.1.7"));

  record Out(String name, List<NetworkPolicyInfo> policies, String to, int port, boolean ok) {
    @Override
    public String toString() {
      return name + ": prod/web -> " + to + ":" + port + (ok ? " allowed" : " denied");
    }
  }

  static NetworkPolicyInfo webEgress(Fixtures.RuleBuilder... rules) {
    return policy("prod", "web-out")
        .select("app", "web")
        .types(PolicyType.EGRESS)
        .egress(rules)
        .build();
  }

  static Stream<Out> egress() {
    var denyEgress = List.of(policy("prod", "deny").types(PolicyType.EGRESS).build());
    var toDb = List.of(webEgress(rule().peers(pods(sel("app", "db"))).ports(tcp(6379))));
    var toBlock = List.of(webEgress(rule().peers(ipBlock("10.0.0.0/24")).ports(tcp(5978))));
    var toNamed = List.of(webEgress(rule().ports(named("redis"))));
    var toDev = List.of(webEgress(rule().peers(namespaces(sel("team", "b")))));
    var toBlock6 = List.of(webEgress(rule().peers(ipBlock("fd00:1::/64"))));
    var ingressDefault = List.of(policy("prod", "p").select("app", "web").ingress(rule()).build());
    var defaulted =
        List.of(
            policy("prod", "p")
                .select("app", "web")
                .egress(rule().peers(pods(sel("app", "db"))))
                .build());
    var emptyEgressList =
        List.of(
            new NetworkPolicyInfo(
                "prod",
                "p",
                sel("app", "web"),
                NetworkPolicyInfo.defaultPolicyTypes(List.of()),
                List.of(),
                List.of()));
    var otherNs = List.of(policy("dev", "deny").types(PolicyType.EGRESS).build());
    var union =
        List.of(
            webEgress(rule().ports(tcp(6379))),
            policy("prod", "b")
                .select("app", "web")
                .types(PolicyType.EGRESS)
                .egress(rule().ports(tcp(4143)))
                .build());
    return Stream.of(
        new Out("no policies", List.of(), "prod/db", 6379, true),
        new Out("default deny egress", denyEgress, "prod/db", 6379, false),
        new Out("default deny egress", denyEgress, "ip 10.0.0.7", 5978, false),
        new Out("to podSelector", toDb, "prod/db", 6379, true),
        new Out("to podSelector: other port", toDb, "prod/db", 4143, false),
        new Out("to podSelector: own namespace only", toDb, "dev/db", 6379, false),
        new Out("to ipBlock", toBlock, "ip 10.0.0.7", 5978, true),
        new Out("to ipBlock: outside", toBlock, "ip 10.0.1.7", 5978, false),
        new Out("to ipBlock: other port", toBlock, "ip 10.0.0.7", 5979, false),
        new Out("to ipBlock IPv6 at the pod's v6 address", toBlock6, "prod/db6", 1, true),
        new Out("to ipBlock IPv6 at the pod's v4 address", toBlock6, "prod/db", 1, false),
        new Out("named port resolves at the destination", toNamed, "prod/db", 6379, true),
        new Out("named port: other number", toNamed, "prod/db", 8080, false),
        new Out("named port: a bare address has none", toNamed, "ip 10.0.0.7", 6379, false),
        new Out("to namespaceSelector", toDev, "dev/db", 6379, true),
        new Out("to namespaceSelector: other namespace", toDev, "prod/db", 6379, false),
        new Out("defaulted policyTypes: ingress only", ingressDefault, "ip 10.0.1.7", 1, true),
        new Out("defaulted policyTypes: egress section", defaulted, "prod/db", 6379, true),
        new Out("defaulted policyTypes: egress section", defaulted, "ip 10.0.0.7", 1, false),
        new Out("egress: [] does not default to Egress", emptyEgressList, "ip 10.0.0.7", 1, true),
        new Out("other namespace's policy ignored", otherNs, "prod/db", 6379, true),
        new Out("union of policies", union, "prod/db", 6379, true),
        new Out("union of policies", union, "prod/db", 4143, true),
        new Out("union of policies", union, "prod/db", 8080, false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("egress")
  void egress_rule_shapes(Out c) {
    NetworkPolicies np = Fixtures.world(c.policies(), PROD, DEV, OTHER);
    Peer to = DESTINATIONS.get(c.to());
    assertThat(np.egressAllows(WEB, to, c.port())).as(c.toString()).isEqualTo(c.ok());
    assertThat(np.explainEgress(WEB, to, c.port()).allowed()).isEqualTo(c.ok());
  }
}
