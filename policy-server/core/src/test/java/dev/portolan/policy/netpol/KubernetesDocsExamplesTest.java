package dev.portolan.policy.netpol;

import static dev.portolan.policy.netpol.Fixtures.ipBlock;
import static dev.portolan.policy.netpol.Fixtures.namespace;
import static dev.portolan.policy.netpol.Fixtures.namespaces;
import static dev.portolan.policy.netpol.Fixtures.pod;
import static dev.portolan.policy.netpol.Fixtures.pods;
import static dev.portolan.policy.netpol.Fixtures.podsIn;
import static dev.portolan.policy.netpol.Fixtures.policy;
import static dev.portolan.policy.netpol.Fixtures.rule;
import static dev.portolan.policy.netpol.Fixtures.sel;
import static dev.portolan.policy.netpol.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.PodInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The examples of the Kubernetes "Network Policies" concept page, each checked against what the
 * page says they do. The policies are rebuilt here from the page's YAML; the assertions are the
 * page's sentences.
 */
class KubernetesDocsExamplesTest {
  static final NamespaceInfo DEFAULT = namespace("default");
  static final NamespaceInfo MYPROJECT = namespace("myproject", "project", "myproject");
  static final NamespaceInfo ELSEWHERE = namespace("elsewhere");

  static final PodInfo DB =
      pod("default", "db").label("role", "db").ip("10.244.0.10").port("redis", 6379).build();
  static final PodInfo FRONTEND =
      pod("default", "frontend").label("role", "frontend").ip("10.244.0.11").build();
  static final PodInfo OTHER_IN_DEFAULT =
      pod("default", "other").label("role", "other").ip("10.244.0.12").build();
  static final PodInfo IN_MYPROJECT =
      pod("myproject", "any").label("role", "whatever").ip("10.244.1.5").build();
  static final PodInfo FRONTEND_ELSEWHERE =
      pod("elsewhere", "frontend").label("role", "frontend").ip("10.244.2.5").build();

  static NetworkPolicies world(NetworkPolicyInfo... policies) {
    return Fixtures.world(List.of(policies), DEFAULT, MYPROJECT, ELSEWHERE);
  }

  /** "test-network-policy", the page's first example. */
  static final NetworkPolicyInfo TEST_NETWORK_POLICY =
      policy("default", "test-network-policy")
          .select("role", "db")
          .types(PolicyType.INGRESS, PolicyType.EGRESS)
          .ingress(
              rule()
                  .peers(
                      ipBlock("172.17.0.0/16", "172.17.1.0/24"),
                      namespaces(sel("project", "myproject")),
                      pods(sel("role", "frontend")))
                  .ports(tcp(6379)))
          .egress(rule().peers(ipBlock("10.0.0.0/24")).ports(tcp(5978)))
          .build();

  @Test
  void test_network_policy_isolates_role_db_in_default_for_both_directions() {
    NetworkPolicies np = world(TEST_NETWORK_POLICY);
    assertThat(np.isIsolated(DB, PolicyType.INGRESS)).isTrue();
    assertThat(np.isIsolated(DB, PolicyType.EGRESS)).isTrue();
    assertThat(np.isIsolated(FRONTEND, PolicyType.INGRESS)).isFalse();
  }

  @Test
  void test_network_policy_allows_6379_from_frontend_pods_myproject_and_the_ip_range() {
    NetworkPolicies np = world(TEST_NETWORK_POLICY);
    // "any pod in the default namespace with the label role=frontend"
    assertThat(np.ingressAllows(DB, Peer.of(FRONTEND), 6379)).isTrue();
    assertThat(np.ingressAllows(DB, Peer.of(FRONTEND_ELSEWHERE), 6379)).isFalse();
    assertThat(np.ingressAllows(DB, Peer.of(OTHER_IN_DEFAULT), 6379)).isFalse();
    // "any pod in a namespace with the label project=myproject"
    assertThat(np.ingressAllows(DB, Peer.of(IN_MYPROJECT), 6379)).isTrue();
    // "IP addresses in the ranges 172.17.0.0–172.17.0.255 and 172.17.2.0–172.17.255.255"
    for (String ip : List.of("172.17.0.0", "172.17.0.255", "172.17.2.0", "172.17.255.255")) {
      assertThat(np.ingressAllows(DB, Peer.ip(ip), 6379)).as(ip).isTrue();
    }
    for (String ip : List.of("172.17.1.0", "172.17.1.255", "172.16.255.255", "172.18.0.0")) {
      assertThat(np.ingressAllows(DB, Peer.ip(ip), 6379)).as(ip).isFalse();
    }
    // ... on TCP port 6379 only.
    assertThat(np.ingressAllows(DB, Peer.of(FRONTEND), 6380)).isFalse();
    assertThat(np.ingressAllows(DB, Peer.of(FRONTEND), 4143)).isFalse();
  }

  @Test
  void test_network_policy_allows_egress_to_10_0_0_0_24_on_5978_only() {
    NetworkPolicies np = world(TEST_NETWORK_POLICY);
    assertThat(np.egressAllows(DB, Peer.ip("10.0.0.1"), 5978)).isTrue();
    assertThat(np.egressAllows(DB, Peer.ip("10.0.0.255"), 5978)).isTrue();
    assertThat(np.egressAllows(DB, Peer.ip("10.0.1.1"), 5978)).isFalse();
    assertThat(np.egressAllows(DB, Peer.ip("10.0.0.1"), 5979)).isFalse();
    assertThat(np.egressAllows(DB, Peer.of(FRONTEND), 5978)).isFalse();
    // Pods the policy does not select keep their egress.
    assertThat(np.egressAllows(FRONTEND, Peer.ip("203.0.113.1"), 443)).isTrue();
  }

  @Test
  void one_peer_with_both_selectors_is_and_two_peers_are_or() {
    NamespaceInfo alice = namespace("alice-ns", "user", "alice");
    NamespaceInfo bob = namespace("bob-ns", "user", "bob");
    PodInfo aliceClient = pod("alice-ns", "c").label("role", "client").ip("10.244.3.1").build();
    PodInfo aliceOther = pod("alice-ns", "o").label("role", "other").ip("10.244.3.2").build();
    PodInfo bobClient = pod("bob-ns", "c").label("role", "client").ip("10.244.4.1").build();
    PodInfo localClient = pod("default", "c").label("role", "client").ip("10.244.0.20").build();
    NetworkPolicyInfo and =
        policy("default", "and")
            .select("role", "db")
            .ingress(rule().peers(podsIn(sel("user", "alice"), sel("role", "client"))))
            .build();
    NetworkPolicyInfo or =
        policy("default", "or")
            .select("role", "db")
            .ingress(rule().peers(namespaces(sel("user", "alice")), pods(sel("role", "client"))))
            .build();
    // "allows connections from Pods in the local Namespace with the label role=client, or from
    // any Pod in any namespace with the label user=alice" (two peers); the single peer allows
    // only Pods with role=client in namespaces with user=alice.
    NetworkPolicies one = Fixtures.world(List.of(and), DEFAULT, alice, bob);
    assertThat(one.ingressAllows(DB, Peer.of(aliceClient), 6379)).isTrue();
    assertThat(one.ingressAllows(DB, Peer.of(aliceOther), 6379)).isFalse();
    assertThat(one.ingressAllows(DB, Peer.of(bobClient), 6379)).isFalse();
    assertThat(one.ingressAllows(DB, Peer.of(localClient), 6379)).isFalse();
    NetworkPolicies two = Fixtures.world(List.of(or), DEFAULT, alice, bob);
    assertThat(two.ingressAllows(DB, Peer.of(aliceClient), 6379)).isTrue();
    assertThat(two.ingressAllows(DB, Peer.of(aliceOther), 6379)).isTrue();
    assertThat(two.ingressAllows(DB, Peer.of(bobClient), 6379)).isFalse();
    assertThat(two.ingressAllows(DB, Peer.of(localClient), 6379)).isTrue();
  }

  @Test
  void default_deny_all_ingress_isolates_every_pod_and_leaves_egress_alone() {
    NetworkPolicies np =
        world(policy("default", "default-deny-ingress").types(PolicyType.INGRESS).build());
    for (PodInfo p : List.of(DB, FRONTEND, OTHER_IN_DEFAULT)) {
      assertThat(np.ingressAllows(p, Peer.of(FRONTEND), 80)).isFalse();
      assertThat(np.ingressAllows(p, Peer.of(IN_MYPROJECT), 80)).isFalse();
      assertThat(np.egressAllows(p, Peer.ip("203.0.113.1"), 443)).isTrue();
    }
    // Pods of other namespaces are not affected.
    assertThat(np.ingressAllows(IN_MYPROJECT, Peer.of(FRONTEND), 80)).isTrue();
  }

  @Test
  void allow_all_ingress_allows_every_connection_in() {
    NetworkPolicies np =
        world(
            policy("default", "default-deny-ingress").types(PolicyType.INGRESS).build(),
            policy("default", "allow-all-ingress")
                .types(PolicyType.INGRESS)
                .ingress(rule())
                .build());
    assertThat(np.ingressAllows(DB, Peer.ip("203.0.113.1"), 1)).isTrue();
    assertThat(np.ingressAllows(DB, Peer.of(IN_MYPROJECT), 65535)).isTrue();
  }

  @Test
  void default_deny_all_egress_isolates_every_pod_and_leaves_ingress_alone() {
    NetworkPolicies np =
        world(policy("default", "default-deny-egress").types(PolicyType.EGRESS).build());
    assertThat(np.egressAllows(FRONTEND, Peer.of(DB), 6379)).isFalse();
    assertThat(np.egressAllows(FRONTEND, Peer.ip("10.0.0.1"), 53)).isFalse();
    assertThat(np.ingressAllows(DB, Peer.of(FRONTEND), 6379)).isTrue();
    assertThat(np.reach(FRONTEND, DB, 6379)).isFalse();
    // A client in another namespace is not isolated.
    assertThat(np.reach(IN_MYPROJECT, DB, 6379)).isTrue();
  }

  @Test
  void allow_all_egress_allows_every_connection_out() {
    NetworkPolicies np =
        world(
            policy("default", "default-deny-egress").types(PolicyType.EGRESS).build(),
            policy("default", "allow-all-egress").types(PolicyType.EGRESS).egress(rule()).build());
    assertThat(np.egressAllows(FRONTEND, Peer.ip("203.0.113.1"), 443)).isTrue();
  }

  @Test
  void default_deny_all_ingress_and_egress() {
    NetworkPolicies np =
        world(
            policy("default", "default-deny-all")
                .types(PolicyType.INGRESS, PolicyType.EGRESS)
                .build());
    assertThat(np.ingressAllows(DB, Peer.of(FRONTEND), 6379)).isFalse();
    assertThat(np.egressAllows(DB, Peer.ip("203.0.113.1"), 443)).isFalse();
  }

  @Test
  void end_port_allows_32000_to_32768_to_10_0_0_0_24() {
    NetworkPolicies np =
        world(
            policy("default", "multi-port-egress")
                .select("role", "db")
                .types(PolicyType.EGRESS)
                .egress(rule().peers(ipBlock("10.0.0.0/24")).ports(tcp(32000, 32768)))
                .build());
    for (int port : new int[] {32000, 32001, 32500, 32768}) {
      assertThat(np.egressAllows(DB, Peer.ip("10.0.0.9"), port)).as("port %d", port).isTrue();
    }
    assertThat(np.egressAllows(DB, Peer.ip("10.0.0.9"), 31999)).isFalse();
    assertThat(np.egressAllows(DB, Peer.ip("10.0.0.9"), 32769)).isFalse();
    assertThat(np.egressAllows(DB, Peer.ip("10.0.1.9"), 32000)).isFalse();
  }

  @Test
  void a_namespace_is_selected_by_its_name_through_kubernetes_io_metadata_name() {
    NetworkPolicies np =
        world(
            policy("default", "from-myproject-by-name")
                .select("role", "db")
                .ingress(
                    rule()
                        .peers(namespaces(sel(NetworkPolicies.NAMESPACE_NAME_LABEL, "myproject"))))
                .build());
    assertThat(np.ingressAllows(DB, Peer.of(IN_MYPROJECT), 6379)).isTrue();
    assertThat(np.ingressAllows(DB, Peer.of(FRONTEND_ELSEWHERE), 6379)).isFalse();
    assertThat(np.ingressAllows(DB, Peer.of(FRONTEND), 6379)).isFalse();
  }
}
