package dev.portolan.policy.netpol;

import static dev.portolan.policy.netpol.Fixtures.ipBlock;
import static dev.portolan.policy.netpol.Fixtures.namespace;
import static dev.portolan.policy.netpol.Fixtures.pod;
import static dev.portolan.policy.netpol.Fixtures.pods;
import static dev.portolan.policy.netpol.Fixtures.policy;
import static dev.portolan.policy.netpol.Fixtures.rule;
import static dev.portolan.policy.netpol.Fixtures.sel;
import static dev.portolan.policy.netpol.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

/** reach = client egress and server ingress; the verdicts name the policies and rules. */
class ReachAndVerdictTest {
  static final PodInfo CLIENT =
      pod("prod", "web").label("app", "web").ip("10.1.1.5", "fd00:1::5").build();
  static final PodInfo SERVER =
      pod("prod", "redis")
          .label("app", "redis")
          .ip("fd00:1::10", "10.1.0.10")
          .port("redis", 6379)
          .build();

  static final NetworkPolicyInfo REDIS_6379 =
      policy("prod", "redis")
          .select("app", "redis")
          .ingress(rule().peers(pods(sel("app", "web"))).ports(tcp(6379)))
          .build();
  static final NetworkPolicyInfo WEB_EGRESS_4143 =
      policy("prod", "web-out")
          .select("app", "web")
          .types(PolicyType.EGRESS)
          .egress(rule().ports(tcp(4143)))
          .build();

  @Test
  void reach_needs_the_client_egress_and_the_server_ingress() {
    NetworkPolicies np = Fixtures.world(List.of(REDIS_6379, WEB_EGRESS_4143), namespace("prod"));
    // Ingress allows 6379 but egress only 4143, and the other way round.
    assertThat(np.reach(CLIENT, SERVER, 6379)).isFalse();
    assertThat(np.reach(CLIENT, SERVER, 4143)).isFalse();

    Reach r = np.explainReach(CLIENT, SERVER, 6379);
    assertThat(r.allowed()).isFalse();
    assertThat(r.ingress())
        .isEqualTo(
            new Verdict.Allowed(
                PolicyType.INGRESS, List.of(new RuleRef(REDIS_6379.ref(), PolicyType.INGRESS, 0))));
    assertThat(r.egress())
        .isEqualTo(
            new Verdict.Denied(
                PolicyType.EGRESS, List.of(new ObjectRef("NetworkPolicy", "prod", "web-out"))));
  }

  @Test
  void reach_without_egress_policies_is_the_server_ingress() {
    NetworkPolicies np = Fixtures.world(List.of(REDIS_6379), namespace("prod"));
    assertThat(np.reach(CLIENT, SERVER, 6379)).isTrue();
    assertThat(np.reach(CLIENT, SERVER, 4143)).isFalse();
    assertThat(np.explainReach(CLIENT, SERVER, 6379).egress())
        .isEqualTo(new Verdict.NotIsolated(PolicyType.EGRESS));
  }

  @Test
  void reach_uses_the_client_address_of_the_server_address_family() {
    // The server's first address is IPv6, so the client connects from its IPv6 address.
    NetworkPolicyInfo v6Only =
        policy("prod", "v6")
            .select("app", "redis")
            .ingress(rule().peers(ipBlock("fd00::/16")))
            .build();
    NetworkPolicies np = Fixtures.world(List.of(v6Only), namespace("prod"));
    assertThat(np.reach(CLIENT, SERVER, 6379)).isTrue();
    assertThat(np.ingressAllows(SERVER, Peer.of(CLIENT), 6379)).isFalse();
  }

  @Test
  void explain_lists_every_matching_rule_and_the_yes_no_answer_agrees() {
    NetworkPolicyInfo a =
        policy("prod", "a")
            .select("app", "redis")
            .ingress(rule().ports(tcp(80)), rule().ports(tcp(6379)), rule().ports(tcp(6000, 7000)))
            .build();
    NetworkPolicyInfo b = policy("prod", "b").select("app", "redis").ingress(rule()).build();
    NetworkPolicies np = Fixtures.world(List.of(b, a), namespace("prod"));
    Verdict v = np.explainIngress(SERVER, Peer.of(CLIENT), 6379);
    assertThat(v)
        .isEqualTo(
            new Verdict.Allowed(
                PolicyType.INGRESS,
                List.of(
                    new RuleRef(a.ref(), PolicyType.INGRESS, 1),
                    new RuleRef(a.ref(), PolicyType.INGRESS, 2),
                    new RuleRef(b.ref(), PolicyType.INGRESS, 0))));
    assertThat(v.toString()).isNotEmpty();
    assertThat(new RuleRef(a.ref(), PolicyType.INGRESS, 1).toString())
        .isEqualTo("NetworkPolicy/prod/a ingress[1]");
    assertThat(np.ingressAllows(SERVER, Peer.of(CLIENT), 6379)).isTrue();
  }

  @Test
  void denied_names_the_isolating_policies_in_name_order() {
    NetworkPolicyInfo z = policy("prod", "z").select("app", "redis").build();
    NetworkPolicyInfo a = policy("prod", "a").build();
    NetworkPolicyInfo other = policy("prod", "other").select("app", "other").build();
    NetworkPolicies np = Fixtures.world(List.of(z, other, a), namespace("prod"));
    assertThat(np.explainIngress(SERVER, Peer.ip("203.0.113.1"), 6379))
        .isEqualTo(new Verdict.Denied(PolicyType.INGRESS, List.of(a.ref(), z.ref())));
    assertThat(np.selecting(SERVER, PolicyType.INGRESS)).containsExactly(a, z);
    assertThat(np.isIsolated(SERVER, PolicyType.INGRESS)).isTrue();
    assertThat(np.isIsolated(SERVER, PolicyType.EGRESS)).isFalse();
  }

  @Test
  void ingress_from_the_pods_own_node_is_allowed_and_says_so() {
    NetworkPolicies np = Fixtures.world(List.of(policy("prod", "deny").build()), namespace("prod"));
    assertThat(np.explainIngress(SERVER, Peer.ip("192.168.0.1"), 6379))
        .isEqualTo(new Verdict.FromLocalNode(IpAddress.parse("192.168.0.1")));
  }

  @Test
  void none_isolates_nothing() {
    assertThat(NetworkPolicies.NONE.reach(CLIENT, SERVER, 1)).isTrue();
    assertThat(NetworkPolicies.NONE.namespaceLabels("x"))
        .containsEntry(NetworkPolicies.NAMESPACE_NAME_LABEL, "x");
  }

  @Test
  void the_namespace_name_label_is_present_even_when_the_manifest_omits_it() {
    assertThat(Fixtures.world(List.of(), namespace("prod", "team", "a")).namespaceLabels("prod"))
        .containsEntry("team", "a")
        .containsEntry(NetworkPolicies.NAMESPACE_NAME_LABEL, "prod");
  }
}
