package dev.portolan.policy.scenarios;

import static dev.portolan.policy.scenarios.Cluster.of;
import static dev.portolan.policy.scenarios.Cluster.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.ChangeSet;
import dev.portolan.policy.index.InboundKey;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.index.SnapshotBuilder;
import dev.portolan.policy.model.Authentication;
import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.AuthzSettings;
import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.InboundAuthz;
import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.IpBlock;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Port;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.PortRange;
import dev.portolan.policy.resolve.OpaqueTransportPolicy;
import dev.portolan.policy.resolve.Resolver;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The tunnel keeps the port rules (docs/design/networkpolicy.md): a port whose ingress a
 * NetworkPolicy isolates carries authorizations admitting only the client networks the policies let
 * reach that port, intersected with the default inbound policy. Policy {@code redis} lets client A
 * reach 6379 and 4143, client B 8080 and 4143: allowing 4143 to B must not admit B on 6379.
 */
class TunnelPortRulesScenariosTest {
  static final String POLICY = "config.linkerd.io/default-inbound-policy";
  static final String MESHED = "b.ns.serviceaccount.identity.portolan.cluster.local";
  static final String A = "10.1.0.20";
  static final String B = "10.1.0.21";
  static final String NODE = "192.0.2.1"; // every Cluster pod's hostIP
  static final String OUTSIDE = "203.0.113.9";

  static PodInfo redis(String policy) {
    Cluster.PodBuilder b =
        pod("redis-0").label("app", "redis").ip("10.1.0.10").port("redis", 6379).port("http", 8080);
    return policy == null ? b.build() : b.annotate(POLICY, policy).build();
  }

  static NetworkPolicyInfo.Peer app(String app) {
    return new NetworkPolicyInfo.Peer.Pods(LabelSelector.of(Map.of("app", app)), null);
  }

  static Port tcp(int p) {
    return new Port.Numbers("TCP", PortRange.of(p));
  }

  static NetworkPolicyInfo redisPolicy() {
    return new NetworkPolicyInfo(
        "ns",
        "redis",
        LabelSelector.of(Map.of("app", "redis")),
        Set.of(PolicyType.INGRESS),
        List.of(
            new Rule(List.of(app("a")), List.of(tcp(6379), tcp(4143))),
            new Rule(List.of(app("b")), List.of(tcp(8080), tcp(4143)))),
        List.of());
  }

  static Snapshot world(String defaultPolicy) {
    return of(
        redis(defaultPolicy),
        pod("client-a").label("app", "a").ip(A).build(),
        pod("client-b").label("app", "b").ip(B).build(),
        redisPolicy());
  }

  static final Resolver RESOLVER = new Resolver(MeshSettings.defaults());

  static InboundAuthz authz(Resolver r, Snapshot s, int port) {
    return r.inboundAuthz(s, s.pod("ns", "redis-0"), port);
  }

  static boolean admits(InboundAuthz a, String source, String identity) {
    IpAddress ip = IpAddress.parse(source);
    return a.authorizations().stream().anyMatch(z -> z.admits(ip, identity));
  }

  @ParameterizedTest(name = "{0} port {1} from {2} meshed={3}: {4}")
  @CsvSource({
    // default policy,      port, source,     meshed, admitted
    "all-unauthenticated,   6379, 10.1.0.20,   false, true",
    "all-unauthenticated,   6379, 10.1.0.21,   false, false",
    "all-unauthenticated,   6379, 10.1.0.21,   true,  false",
    "all-unauthenticated,   8080, 10.1.0.21,   false, true",
    "all-unauthenticated,   8080, 10.1.0.20,   false, false",
    "all-unauthenticated,   6379, 192.0.2.1,   false, true",
    "all-unauthenticated,   6379, 203.0.113.9, false, false",
    "all-authenticated,     6379, 10.1.0.20,   false, false",
    "all-authenticated,     6379, 10.1.0.20,   true,  true",
    "all-authenticated,     6379, 10.1.0.21,   true,  false",
    "all-authenticated,     8080, 10.1.0.21,   true,  true",
    "cluster-unauthenticated, 6379, 10.1.0.20, false, true",
    "cluster-unauthenticated, 6379, 10.1.0.21, false, false",
    "cluster-authenticated, 6379, 10.1.0.20,   false, false",
    "cluster-authenticated, 6379, 10.1.0.20,   true,  true",
    "deny,                  6379, 10.1.0.20,   true,  false",
    "deny,                  8080, 10.1.0.21,   true,  false",
  })
  void the_port_admits_what_the_policy_and_the_default_both_allow(
      String policy, int port, String source, boolean meshed, boolean admitted) {
    InboundAuthz a = authz(RESOLVER, world(policy), port);
    assertThat(admits(a, source, meshed ? MESHED : null)).isEqualTo(admitted);
    if (policy.equals("deny")) {
      assertThat(a.authorizations()).as("deny stays deny").isEmpty();
      assertThat(a.networkPolicies()).isEmpty();
    } else {
      assertThat(a.networkPolicies()).containsExactly(redisPolicy().ref());
      assertThat(a.authorizations())
          .allSatisfy(z -> {
            assertThat(z.name()).isEqualTo("networkpolicy:ns/redis");
            assertThat(z.fromNetworkPolicy()).isTrue();
          });
      assertThat(a.summary()).contains("NetworkPolicy/ns/redis");
    }
  }

  @Test
  void authenticated_defaults_keep_requiring_identity() {
    InboundAuthz a = authz(RESOLVER, world("all-authenticated"), 6379);
    assertThat(a.authorizations())
        .singleElement()
        .satisfies(z -> assertThat(z.authentication()).isEqualTo(Authentication.ANY_MESH_IDENTITY));
    assertThat(a.authorizations().getFirst().networks())
        .extracting(n -> n.net().toString())
        .containsExactly(A + "/32", NODE + "/32");
  }

  @Test
  void a_pod_no_policy_isolates_keeps_its_defaults() {
    Snapshot s = world(null);
    PodInfo a = s.pod("ns", "client-a");
    InboundAuthz authz = RESOLVER.inboundAuthz(s, a, 6379);
    assertThat(authz.networkPolicies()).isEmpty();
    assertThat(authz.authorizations())
        .singleElement()
        .satisfies(z -> assertThat(z.networks()).isEqualTo(Authorization.ALL_NETWORKS));
  }

  @Test
  void cluster_networks_intersect_ip_blocks_and_their_exceptions() {
    Resolver cluster =
        new Resolver(
            MeshSettings.defaults(),
            OpaqueTransportPolicy.ALWAYS,
            AuthzSettings.parse("cluster-unauthenticated", "10.0.0.0/8, 172.16.0.0/12"));
    NetworkPolicyInfo blocks =
        new NetworkPolicyInfo(
            "ns",
            "blocks",
            LabelSelector.of(Map.of("app", "redis")),
            Set.of(PolicyType.INGRESS),
            List.of(
                new Rule(
                    List.of(
                        new NetworkPolicyInfo.Peer.Block(
                            new IpBlock(
                                Cidr.parse("0.0.0.0/0"),
                                List.of(Cidr.parse("10.1.0.0/16"), Cidr.parse("172.0.0.0/8")))),
                        new NetworkPolicyInfo.Peer.Block(
                            new IpBlock(Cidr.parse("10.1.0.0/24"), List.of()))),
                    List.of(tcp(6379)))),
            List.of());
    Snapshot s = of(redis(null), blocks);
    InboundAuthz a = authz(cluster, s, 6379);
    // 0/0 except 10.1/16 and 172/8, within 10/8 and 172.16/12: 10/8 except 10.1/16 (172.16/12
    // lies inside an exception); 10.1.0/24 stays whole; the node (192.0.2.1) is not a cluster net.
    assertThat(a.authorizations()).singleElement();
    assertThat(a.authorizations().getFirst().networks())
        .containsExactly(
            new Authorization.Network(Cidr.parse("10.0.0.0/8"), List.of(Cidr.parse("10.1.0.0/16"))),
            new Authorization.Network(Cidr.parse("10.1.0.0/24")));
    assertThat(admits(a, "10.2.0.1", null)).isTrue();
    assertThat(admits(a, "10.1.0.7", null)).isTrue();
    assertThat(admits(a, "10.1.1.7", null)).isFalse();
    assertThat(admits(a, "172.16.0.1", null)).isFalse();
    assertThat(admits(a, NODE, null)).isFalse();
  }

  @Test
  void nothing_in_common_admits_nobody() {
    Resolver cluster =
        new Resolver(
            MeshSettings.defaults(),
            OpaqueTransportPolicy.ALWAYS,
            AuthzSettings.parse("cluster-unauthenticated", "10.0.0.0/8"));
    // Only 192.0.2.1 (the node) may reach 6379, and it is not a cluster network.
    NetworkPolicyInfo none = new NetworkPolicyInfo("ns", "none", LabelSelector.EVERYTHING);
    Snapshot s = of(redis(null), none);
    InboundAuthz a = authz(cluster, s, 6379);
    assertThat(a.authorizations()).isEmpty();
    assertThat(a.networkPolicies()).containsExactly(none.ref());
  }

  @Test
  void two_policies_each_contribute_their_own_authorization() {
    NetworkPolicyInfo more =
        new NetworkPolicyInfo(
            "ns",
            "more",
            LabelSelector.of(Map.of("app", "redis")),
            Set.of(PolicyType.INGRESS),
            List.of(new Rule(List.of(app("b")), List.of(tcp(6379)))),
            List.of());
    Snapshot s = Cluster.with(world(null), more);
    InboundAuthz a = authz(RESOLVER, s, 6379);
    assertThat(a.authorizations())
        .extracting(Authorization::name)
        .containsExactly("networkpolicy:ns/more", "networkpolicy:ns/redis");
    assertThat(admits(a, B, null)).as("the union of the policies").isTrue();
    assertThat(admits(a, A, null)).isTrue();
  }

  @Test
  void client_changes_anywhere_recompute_only_narrowed_ports() {
    Snapshot base =
        Cluster.with(
            world(null),
            new NamespaceInfo("other", Map.of(), Map.of()),
            pod("x").ns("other").label("app", "x").ip("10.2.0.1").build());
    InboundKey narrowed = new InboundKey("ns", "redis-0", 6379);
    InboundKey.Policy narrowedLast = narrowed.compute(RESOLVER, base);
    InboundKey plain = new InboundKey("ns", "client-a", 6379);
    InboundKey.Policy plainLast = plain.compute(RESOLVER, base);

    // A pod in another namespace gains a label: what the policies read about clients changed.
    SnapshotBuilder b = new SnapshotBuilder(base);
    b.apply(new Change.Upsert(pod("x").ns("other").label("app", "a").ip("10.2.0.1").build()));
    b.build();
    ChangeSet changes = b.changes();
    assertThat(changes.namespaces()).doesNotContain("ns");
    assertThat(changes.clients()).isTrue();
    assertThat(narrowed.affectedBy(changes, narrowedLast)).isTrue();
    assertThat(plain.affectedBy(changes, plainLast)).isFalse();
    assertThat(narrowedLast.authz().networkPolicies()).isNotEmpty();
    assertThat(plainLast.authz().networkPolicies()).isEmpty();
  }

  @Test
  void the_network_intersection_table() {
    record Row(String a, List<String> aExcept, String b, List<String> bExcept, String expected) {}
    List<Row> rows =
        List.of(
            new Row("10.0.0.0/8", List.of(), "10.1.0.0/16", List.of(), "10.1.0.0/16 []"),
            new Row("10.1.0.0/16", List.of(), "10.0.0.0/8", List.of(), "10.1.0.0/16 []"),
            new Row("10.0.0.0/8", List.of(), "11.0.0.0/8", List.of(), "none"),
            new Row("0.0.0.0/0", List.of(), "::/0", List.of(), "none"),
            new Row(
                "0.0.0.0/0",
                List.of("10.1.0.0/16"),
                "10.0.0.0/8",
                List.of(),
                "10.0.0.0/8 [10.1.0.0/16]"),
            new Row("0.0.0.0/0", List.of("10.0.0.0/8"), "10.1.0.0/16", List.of(), "none"),
            new Row(
                "10.0.0.0/8",
                List.of("10.2.0.0/16"),
                "10.0.0.0/8",
                List.of("10.3.0.0/16"),
                "10.0.0.0/8 [10.2.0.0/16, 10.3.0.0/16]"),
            new Row(
                "10.0.0.0/8", List.of("10.2.0.0/16"), "10.1.0.0/16", List.of(), "10.1.0.0/16 []"),
            new Row(
                "fd00::/8", List.of(), "fd00::11/128", List.of(), "fd00:0:0:0:0:0:0:11/128 []"));
    for (Row r : rows) {
      Authorization.Network a =
          new Authorization.Network(
              Cidr.parse(r.a()), r.aExcept().stream().map(Cidr::parse).toList());
      Authorization.Network b =
          new Authorization.Network(
              Cidr.parse(r.b()), r.bExcept().stream().map(Cidr::parse).toList());
      Authorization.Network got = a.intersect(b);
      assertThat(got == null ? "none" : got.net() + " " + got.except())
          .as(r.toString())
          .isEqualTo(r.expected());
    }
  }

  /**
   * What a client edit costs at scale: 5,000 pods in 50 namespaces, every namespace's db pods
   * isolated by a policy admitting its own api pods and every pod of team=ops namespaces. Each
   * narrowed (pod, port) is one pass over the pods per selector; the times are printed.
   */
  @Test
  void an_edit_recomputes_each_narrowed_port_in_one_pass_over_the_pods() {
    List<dev.portolan.policy.model.Resource> objects = new java.util.ArrayList<>();
    for (int n = 0; n < 50; n++) {
      String ns = "ns" + n;
      objects.add(new NamespaceInfo(ns, Map.of("team", n % 10 == 0 ? "ops" : "dev"), Map.of()));
      objects.add(
          new NetworkPolicyInfo(
              ns,
              "db",
              LabelSelector.of(Map.of("app", "db")),
              Set.of(PolicyType.INGRESS),
              List.of(
                  new Rule(
                      List.of(
                          app("api"),
                          new NetworkPolicyInfo.Peer.Pods(
                              null, LabelSelector.of(Map.of("team", "ops")))),
                      List.of(tcp(5432)))),
              List.of()));
      for (int i = 0; i < 100; i++) {
        String role = i < 2 ? "db" : i < 20 ? "api" : "web";
        objects.add(
            pod(role + "-" + i)
                .ns(ns)
                .label("app", role)
                .ip("10." + (n + 10) + "." + (i / 250) + "." + (i % 250 + 1))
                .port("pg", 5432)
                .build());
      }
    }
    List<InboundKey> narrowed = new java.util.ArrayList<>();
    for (int n = 0; n < 50; n++) {
      narrowed.add(new InboundKey("ns" + n, "db-0", 5432));
      narrowed.add(new InboundKey("ns" + n, "db-1", 5432));
    }
    long best = Long.MAX_VALUE;
    int pods = 0;
    for (int round = 0; round < 5; round++) {
      // A new snapshot each round, as after an edit: the per-snapshot selections start cold.
      Snapshot s = of(objects.toArray(dev.portolan.policy.model.Resource[]::new));
      pods = s.allPods().size();
      long start = System.nanoTime();
      for (InboundKey k : narrowed) {
        InboundKey.Policy p = k.compute(RESOLVER, s);
        // its own 18 api pods, the 5 ops namespaces' 500 pods (its own counted once if ops)
        int expected = k.namespace().equals("ns0") || k.namespace().endsWith("0") ? 500 : 518;
        assertThat(p.authz().authorizations().getFirst().networks())
            .as(k.toString())
            .hasSize(expected + 1); // and the node
      }
      best = Math.min(best, System.nanoTime() - start);
    }
    System.out.printf(
        "recomputing %d narrowed ports over %d pods after an edit: %.1f ms (%.2f ms each), best of 5%n",
        narrowed.size(), pods, best / 1e6, best / 1e6 / narrowed.size());
  }
}
