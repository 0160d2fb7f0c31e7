package dev.portolan.proxy.testbed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The enforcer's translation, without a bed: which packets each policy shape lets through. */
class NetworkPolicyRulesTest {
  static final String PODS =
      """
      apiVersion: v1
      kind: Namespace
      metadata: {name: bed, labels: {team: a}}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: client, namespace: bed, labels: {app: client}}
      status: {podIP: 10.244.77.10}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: redis, namespace: bed, labels: {app: redis}}
      status: {podIP: 10.244.77.11}
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: other, namespace: bed, labels: {app: other}}
      status: {podIP: 10.244.77.12}
      """;
  static final Map<String, String> VETHS =
      Map.of("10.244.77.10", "vp0", "10.244.77.11", "vp1", "10.244.77.12", "vp2");

  static String script(String policies) {
    return NetworkPolicyRules.restoreScript(
        NetworkPolicyRules.parse(Map.of("bed.yaml", PODS, "np.yaml", policies)), VETHS);
  }

  @Test
  void without_policies_only_the_stateful_accept_and_empty_chains() {
    String s = script("");
    assertThat(s)
        .contains(":PTB-FWD - [0:0]", ":PTB-I-vp1 - [0:0]", ":PTB-E-vp0 - [0:0]")
        .contains("-A PTB-FWD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT")
        .doesNotContain("physdev")
        .doesNotContain("DROP")
        .endsWith("COMMIT\n");
  }

  @Test
  void an_ingress_policy_allowing_6379_from_the_client_isolates_only_the_server() {
    String s =
        script(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: redis, namespace: bed}
            spec:
              podSelector: {matchLabels: {app: redis}}
              ingress:
                - from: [{podSelector: {matchLabels: {app: client}}}]
                  ports: [{port: 6379}]
            """);
    assertThat(s)
        .contains("-A PTB-FWD -m physdev --physdev-out vp1 --physdev-is-bridged -j PTB-I-vp1\n")
        .contains(
            "-A PTB-I-vp1 -s 10.244.77.10/32 -p tcp -m tcp --dport 6379 -m comment --comment"
                + " \"bed/redis ingress[0]\" -j ACCEPT\n")
        .contains("-A PTB-I-vp1 -j DROP\n")
        .doesNotContain("10.244.77.12/32")
        .doesNotContain("4143")
        .doesNotContain("-j PTB-E-")
        .doesNotContain("PTB-I-vp0 -j DROP");
    // Replies are accepted before any pod's chain could drop them.
    assertThat(s.indexOf("--ctstate ESTABLISHED,RELATED -j ACCEPT"))
        .isLessThan(s.indexOf("-j PTB-I-vp1"));
  }

  @Test
  void egress_by_default_type_namespace_selector_ip_block_and_port_range() {
    String s =
        script(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: client-out, namespace: bed}
            spec:
              podSelector: {matchLabels: {app: client}}
              egress:
                - to:
                    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: bed}}
                      podSelector: {matchLabels: {app: redis}}
                    - namespaceSelector: {matchLabels: {team: b}}
                    - ipBlock: {cidr: 10.9.0.0/16}
                  ports: [{port: 6379}, {port: 7000, endPort: 7005, protocol: TCP}]
            """);
    // No policyTypes and an egress section: isolated both ways, ingress with no rule at all.
    assertThat(s)
        .contains("-A PTB-FWD -m physdev --physdev-in vp0 --physdev-is-bridged -j PTB-E-vp0\n")
        .contains("-A PTB-FWD -m physdev --physdev-out vp0 --physdev-is-bridged -j PTB-I-vp0\n")
        .contains("-A PTB-E-vp0 -d 10.244.77.11/32 -p tcp -m tcp --dport 6379 -m comment")
        .contains("-A PTB-E-vp0 -d 10.244.77.11/32 -p tcp -m tcp --dport 7000:7005 -m comment")
        .contains("-A PTB-E-vp0 -d 10.9.0.0/16 -p tcp -m tcp --dport 6379")
        .contains("\"bed/client-out egress[0]\" -j RETURN\n")
        .contains("-A PTB-E-vp0 -j DROP\n", "-A PTB-I-vp0 -j DROP\n")
        .doesNotContain("-A PTB-I-vp0 -s")
        .doesNotContain("10.244.77.12/32");
    // Jumps for egress come before those for ingress: both sides must allow a packet.
    assertThat(s.indexOf("-j PTB-E-vp0")).isLessThan(s.indexOf("-j PTB-I-vp0"));
  }

  @Test
  void an_empty_rule_allows_everything_and_policy_types_egress_leaves_ingress_open() {
    String s =
        script(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: all, namespace: bed}
            spec:
              podSelector: {}
              policyTypes: [Egress]
              egress: [{}]
            """);
    assertThat(s)
        .contains("-A PTB-E-vp0 -m comment --comment \"bed/all egress[0]\" -j RETURN\n")
        .contains("-A PTB-E-vp2 -m comment")
        .doesNotContain("-j PTB-I-");
  }

  @Test
  void shapes_it_cannot_read_are_refused_with_the_object_and_field() {
    assertThatThrownBy(() ->
            script(
                """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: named, namespace: bed}
                spec:
                  podSelector: {}
                  ingress: [{ports: [{port: redis}]}]
                """))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "NetworkPolicy bed/named (file np.yaml): spec.ingress[0].ports[0].port")
        .hasMessageContaining("'redis' (a named port): not supported by the test enforcer");
    assertThatThrownBy(() ->
            script(
                """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: expr, namespace: bed}
                spec:
                  podSelector:
                    matchExpressions: [{key: app, operator: In, values: [redis]}]
                """))
        .hasMessageContaining(
            "NetworkPolicy bed/expr (file np.yaml): spec.podSelector.matchExpressions");
    assertThatThrownBy(() ->
            script(
                """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: except, namespace: bed}
                spec:
                  podSelector: {}
                  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]}]
                """))
        .hasMessageContaining("spec.ingress[0].from[0].ipBlock.except: not supported");
  }
}
