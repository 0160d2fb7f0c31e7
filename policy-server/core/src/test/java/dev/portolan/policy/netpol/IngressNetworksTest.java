package dev.portolan.policy.netpol;

import static dev.portolan.policy.netpol.Fixtures.allPorts;
import static dev.portolan.policy.netpol.Fixtures.ipBlock;
import static dev.portolan.policy.netpol.Fixtures.named;
import static dev.portolan.policy.netpol.Fixtures.namespace;
import static dev.portolan.policy.netpol.Fixtures.namespaces;
import static dev.portolan.policy.netpol.Fixtures.pod;
import static dev.portolan.policy.netpol.Fixtures.pods;
import static dev.portolan.policy.netpol.Fixtures.podsIn;
import static dev.portolan.policy.netpol.Fixtures.policy;
import static dev.portolan.policy.netpol.Fixtures.rule;
import static dev.portolan.policy.netpol.Fixtures.sel;
import static dev.portolan.policy.netpol.Fixtures.tcp;
import static dev.portolan.policy.netpol.Fixtures.udp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The client networks a server's ingress policies let reach a port (what the tunnel enforces,
 * docs/design/networkpolicy.md): one row per rule shape, and, for every row, agreement with the
 * evaluator for every pod of the world at each of its addresses.
 */
class IngressNetworksTest {
  static final String NODE = "192.168.0.1";
  static final PodInfo DB =
      pod("data", "db-0").label("app", "db").ip("10.0.0.5").port("pg", 5432).host(NODE).build();
  static final PodInfo API =
      pod("data", "api-0").label("app", "api").ip("10.0.0.10").host("192.168.0.2").build();
  static final PodInfo API_V6 =
      pod("data", "api-1")
          .label("app", "api")
          .ip("10.0.0.11", "fd00::11")
          .host("192.168.0.2")
          .build();
  static final PodInfo WEB =
      pod("data", "web-0").label("app", "web").ip("10.0.0.20").host("192.168.0.2").build();
  static final PodInfo OPS_API =
      pod("ops", "api-0").label("app", "api").ip("10.0.1.10").host("192.168.0.3").build();
  static final PodInfo OPS_TOOL =
      pod("ops", "tool-0").label("app", "tool").ip("10.0.1.20").host("192.168.0.3").build();
  static final PodInfo DEV_API =
      pod("dev", "api-0").label("app", "api").ip("10.0.2.10").host("192.168.0.3").build();
  static final PodInfo PENDING = pod("data", "api-9").label("app", "api").build();
  static final List<PodInfo> PODS =
      List.of(DB, API, API_V6, WEB, OPS_API, OPS_TOOL, DEV_API, PENDING);
  static final List<NamespaceInfo> NAMESPACES =
      List.of(namespace("data"), namespace("ops", "team", "ops"), namespace("dev", "team", "dev"));

  static NetworkPolicies world(NetworkPolicyInfo... policies) {
    Map<String, NamespaceInfo> byName = new HashMap<>();
    NAMESPACES.forEach(n -> byName.put(n.name(), n));
    Function<String, NamespaceInfo> lookup = byName::get;
    return NetworkPolicies.of(
        List.of(policies), lookup::apply, PODS.stream().map(PodInfo::hostIp).toList());
  }

  static Fixtures.PolicyBuilder db(String name) {
    return policy("data", name).select("app", "db").types(PolicyType.INGRESS);
  }

  static List<String> nets(List<IngressNetworks.PolicyNetworks> got) {
    return got.stream()
        .flatMap(p -> p.networks().stream())
        .map(n -> n.except().isEmpty() ? n.net().toString() : n.net() + " except " + n.except())
        .toList();
  }

  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of(
            "pods of the policy's namespace",
            db("p").ingress(rule().peers(pods(sel("app", "api"))).ports(tcp(5432))).build(),
            List.of("10.0.0.10/32", "10.0.0.11/32", NODE + "/32", "fd00::11/128")),
        Arguments.of(
            "a rule for another port leaves only the node",
            db("p").ingress(rule().peers(pods(sel("app", "api"))).ports(tcp(6379))).build(),
            List.of(NODE + "/32")),
        Arguments.of(
            "a rule without ports is every port",
            db("p").ingress(rule().peers(pods(sel("app", "web")))).build(),
            List.of("10.0.0.20/32", NODE + "/32")),
        Arguments.of(
            "a rule without peers is every address",
            db("p").ingress(rule().ports(tcp(5432))).build(),
            List.of("0.0.0.0/0", "::/0")),
        Arguments.of("ingress: [] admits only the node", db("p").build(), List.of(NODE + "/32")),
        Arguments.of(
            "ipBlock with except",
            db("p")
                .ingress(rule().peers(ipBlock("10.0.0.0/16", "10.0.1.0/24")).ports(tcp(5432)))
                .build(),
            List.of("10.0.0.0/16 except [10.0.1.0/24]", NODE + "/32")),
        Arguments.of(
            "namespaceSelector alone: every pod of the namespaces",
            db("p").ingress(rule().peers(namespaces(sel("team", "ops"))).ports(tcp(5432))).build(),
            List.of("10.0.1.10/32", "10.0.1.20/32", NODE + "/32")),
        Arguments.of(
            "namespaceSelector with podSelector: both",
            db("p")
                .ingress(
                    rule().peers(podsIn(sel("team", "ops"), sel("app", "api"))).ports(tcp(5432)))
                .build(),
            List.of("10.0.1.10/32", NODE + "/32")),
        Arguments.of(
            "the namespace name label",
            db("p")
                .ingress(
                    rule()
                        .peers(namespaces(sel(NetworkPolicies.NAMESPACE_NAME_LABEL, "dev")))
                        .ports(tcp(5432)))
                .build(),
            List.of("10.0.2.10/32", NODE + "/32")),
        Arguments.of(
            "a named port resolved on the server",
            db("p").ingress(rule().peers(pods(sel("app", "web"))).ports(named("pg"))).build(),
            List.of("10.0.0.20/32", NODE + "/32")),
        Arguments.of(
            "a name the server does not carry",
            db("p").ingress(rule().peers(pods(sel("app", "web"))).ports(named("http"))).build(),
            List.of(NODE + "/32")),
        Arguments.of(
            "endPort",
            db("p").ingress(rule().peers(pods(sel("app", "web"))).ports(tcp(5000, 6000))).build(),
            List.of("10.0.0.20/32", NODE + "/32")),
        Arguments.of(
            "UDP does not admit TCP",
            db("p").ingress(rule().peers(pods(sel("app", "web"))).ports(udp(5432))).build(),
            List.of(NODE + "/32")),
        Arguments.of(
            "all TCP ports",
            db("p").ingress(rule().peers(pods(sel("app", "web"))).ports(allPorts("TCP"))).build(),
            List.of("10.0.0.20/32", NODE + "/32")),
        Arguments.of(
            "two rules: the union",
            db("p")
                .ingress(
                    rule().peers(pods(sel("app", "web"))).ports(tcp(5432)),
                    rule().peers(ipBlock("203.0.113.0/24")).ports(tcp(5432)))
                .build(),
            List.of("10.0.0.20/32", NODE + "/32", "203.0.113.0/24")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("shapes")
  void each_rule_shape(String name, NetworkPolicyInfo policy, List<String> expected) {
    NetworkPolicies w = world(policy);
    List<IngressNetworks.PolicyNetworks> got = IngressNetworks.of(w, DB, 5432, () -> PODS);
    assertThat(got)
        .extracting(IngressNetworks.PolicyNetworks::policy)
        .containsExactly(policy.ref());
    // IPv6 networks print uncompressed: compare what the expected text parses to
    assertThat(nets(got))
        .containsExactlyElementsOf(
            expected.stream().map(e -> e.contains(" ") ? e : Cidr.parse(e).toString()).toList());
    agreesWithTheEvaluator(w, got);
  }

  /** Every pod, at each address: in the networks exactly when the evaluator admits it. */
  static void agreesWithTheEvaluator(NetworkPolicies w, List<IngressNetworks.PolicyNetworks> got) {
    List<Authorization.Network> all = got.stream().flatMap(p -> p.networks().stream()).toList();
    for (PodInfo c : PODS) {
      for (String ip : c.podIps()) {
        boolean inNetworks = all.stream().anyMatch(n -> n.contains(IpAddress.parse(ip)));
        assertThat(inNetworks)
            .as("%s/%s at %s", c.namespace(), c.name(), ip)
            .isEqualTo(w.ingressAllows(DB, Peer.of(c, ip), 5432));
      }
    }
  }

  @Test
  void not_isolated_means_no_narrowing() {
    NetworkPolicies egressOnly =
        world(
            policy("data", "out")
                .select("app", "db")
                .types(PolicyType.EGRESS)
                .egress(rule().ports(tcp(53)))
                .build());
    assertThat(IngressNetworks.of(egressOnly, DB, 5432, () -> PODS)).isEmpty();
    NetworkPolicies otherPods =
        world(policy("data", "web").select("app", "web").types(PolicyType.INGRESS).build());
    assertThat(IngressNetworks.of(otherPods, DB, 5432, () -> PODS)).isEmpty();
    assertThat(IngressNetworks.of(NetworkPolicies.NONE, DB, 5432, () -> PODS)).isEmpty();
  }

  @Test
  void each_isolating_policy_answers_for_itself_sorted_by_name() {
    NetworkPolicyInfo b = db("b").ingress(rule().peers(pods(sel("app", "web")))).build();
    NetworkPolicyInfo a = db("a").ingress(rule().peers(ipBlock("10.0.1.0/24"))).build();
    NetworkPolicies w = world(b, a);
    List<IngressNetworks.PolicyNetworks> got = IngressNetworks.of(w, DB, 5432, () -> PODS);
    assertThat(got)
        .extracting(IngressNetworks.PolicyNetworks::policy)
        .containsExactly(new ObjectRef("NetworkPolicy", "data", "a"), b.ref());
    assertThat(nets(List.of(got.get(0)))).containsExactly("10.0.1.0/24", NODE + "/32");
    assertThat(nets(List.of(got.get(1)))).containsExactly("10.0.0.20/32", NODE + "/32");
    agreesWithTheEvaluator(w, got);
  }
}
