package dev.portolan.policy.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.IpBlock;
import dev.portolan.policy.model.NetworkPolicyInfo.Peer;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Port;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.PortRange;
import dev.portolan.policy.netpol.NetworkPolicies;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** fabric8 NetworkPolicies (built and parsed from YAML) trimmed into the model. */
class KubeObjectsNetworkPolicyTest {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private static NetworkPolicyBuilder policy() {
    return new NetworkPolicyBuilder()
        .withNewMetadata()
        .withNamespace("prod")
        .withName("p")
        .endMetadata();
  }

  private static NetworkPolicyInfo yaml(String spec) {
    String doc =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            + "metadata: {namespace: prod, name: p}\nspec:\n"
            + spec.indent(2);
    return (NetworkPolicyInfo) KubeObjects.convert(YAML.unmarshal(doc)).orElseThrow();
  }

  @Test
  void every_field_is_trimmed_into_the_model() {
    NetworkPolicy np =
        policy()
            .withNewSpec()
            .withPodSelector(
                new LabelSelectorBuilder()
                    .addToMatchLabels("app", "redis")
                    .addNewMatchExpression()
                    .withKey("tier")
                    .withOperator("In")
                    .withValues("cache")
                    .endMatchExpression()
                    .build())
            .addNewIngress()
            .addNewFrom()
            .withNewIpBlock()
            .withCidr("172.17.0.0/16")
            .withExcept("172.17.1.0/24")
            .endIpBlock()
            .endFrom()
            .addNewFrom()
            .withNewNamespaceSelector()
            .addToMatchLabels("project", "x")
            .endNamespaceSelector()
            .endFrom()
            .addNewFrom()
            .withNewPodSelector()
            .addToMatchLabels("role", "frontend")
            .endPodSelector()
            .withNewNamespaceSelector()
            .endNamespaceSelector()
            .endFrom()
            .addNewPort()
            .withPort(new IntOrString(6379))
            .endPort()
            .addNewPort()
            .withProtocol("UDP")
            .withPort(new IntOrString("dns"))
            .endPort()
            .addNewPort()
            .withProtocol("TCP")
            .withPort(new IntOrString(32000))
            .withEndPort(32768)
            .endPort()
            .addNewPort()
            .withProtocol("SCTP")
            .endPort()
            .endIngress()
            .addNewEgress()
            .addNewTo()
            .withNewIpBlock()
            .withCidr("fd00::/64")
            .endIpBlock()
            .endTo()
            .endEgress()
            .endSpec()
            .build();

    NetworkPolicyInfo info = KubeObjects.networkPolicy(np);

    assertThat(info.podSelector())
        .isEqualTo(
            new LabelSelector(
                Map.of("app", "redis"),
                List.of(new LabelSelector.Requirement("tier", "In", List.of("cache")))));
    assertThat(info.policyTypes()).isEqualTo(Set.of(PolicyType.INGRESS, PolicyType.EGRESS));
    assertThat(info.ingress())
        .containsExactly(
            new Rule(
                List.of(
                    new Peer.Block(
                        new IpBlock(
                            Cidr.parse("172.17.0.0/16"), List.of(Cidr.parse("172.17.1.0/24")))),
                    new Peer.Pods(null, LabelSelector.of(Map.of("project", "x"))),
                    new Peer.Pods(
                        LabelSelector.of(Map.of("role", "frontend")), LabelSelector.EVERYTHING)),
                List.of(
                    new Port.Numbers("TCP", PortRange.of(6379)),
                    new Port.Named("UDP", "dns"),
                    new Port.Numbers("TCP", new PortRange(32000, 32768)),
                    new Port.All("SCTP"))));
    assertThat(info.egress())
        .containsExactly(
            new Rule(
                List.of(new Peer.Block(new IpBlock(Cidr.parse("fd00::/64"), List.of()))),
                List.of()));
  }

  @Test
  void policy_types_default_as_the_api_server_does() {
    assertThat(yaml("podSelector: {}").policyTypes()).containsExactly(PolicyType.INGRESS);
    assertThat(yaml("podSelector: {}\negress: []").policyTypes())
        .containsExactly(PolicyType.INGRESS);
    assertThat(yaml("podSelector: {}\negress: [{}]").policyTypes())
        .containsExactlyInAnyOrder(PolicyType.INGRESS, PolicyType.EGRESS);
    assertThat(yaml("podSelector: {}\npolicyTypes: []\negress: [{}]").policyTypes())
        .containsExactlyInAnyOrder(PolicyType.INGRESS, PolicyType.EGRESS);
    assertThat(yaml("podSelector: {}\npolicyTypes: [Egress]\ningress: [{}]").policyTypes())
        .containsExactly(PolicyType.EGRESS);
    NetworkPolicyInfo noSpec = KubeObjects.networkPolicy(policy().build());
    assertThat(noSpec.policyTypes()).containsExactly(PolicyType.INGRESS);
    assertThat(noSpec.ingress()).isEmpty();
  }

  @Test
  void empty_and_missing_lists_mean_what_kubernetes_says() {
    // ingress: [] and no ingress: isolate, allow nothing; ingress: [{}]: one rule, everything.
    assertThat(yaml("podSelector: {}\ningress: []").ingress()).isEmpty();
    assertThat(yaml("podSelector: {}").ingress()).isEmpty();
    assertThat(yaml("podSelector: {}\ningress: [{}]").ingress()).containsExactly(Rule.ALLOW_ALL);
    // from: [] and no from, ports: [] and no ports: every peer, every port.
    assertThat(yaml("podSelector: {}\ningress: [{from: [], ports: []}]").ingress())
        .containsExactly(Rule.ALLOW_ALL);
    assertThat(yaml("podSelector: {}\ningress: [{ports: [{port: 80}]}]").ingress())
        .containsExactly(new Rule(List.of(), List.of(new Port.Numbers("TCP", PortRange.of(80)))));
    // A port entry without a port: every port of its protocol.
    assertThat(yaml("podSelector: {}\ningress: [{ports: [{protocol: UDP}]}]").ingress())
        .containsExactly(new Rule(List.of(), List.of(new Port.All("UDP"))));
  }

  @Test
  void the_documentation_example_parses_and_evaluates_as_the_page_says() {
    NetworkPolicyInfo info =
        yaml(
            """
            podSelector:
              matchLabels:
                role: db
            policyTypes:
            - Ingress
            - Egress
            ingress:
            - from:
              - ipBlock:
                  cidr: 172.17.0.0/16
                  except:
                  - 172.17.1.0/24
              - namespaceSelector:
                  matchLabels:
                    project: myproject
              - podSelector:
                  matchLabels:
                    role: frontend
              ports:
              - protocol: TCP
                port: 6379
            egress:
            - to:
              - ipBlock:
                  cidr: 10.0.0.0/24
              ports:
              - protocol: TCP
                port: 5978
            """);
    NamespaceInfo myproject =
        KubeObjects.namespace(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName("myproject")
                .addToLabels("project", "myproject")
                .endMetadata()
                .build());
    PodInfo db = pod("prod", "db", "role", "db", "10.244.0.10");
    PodInfo frontend = pod("prod", "fe", "role", "frontend", "10.244.0.11");
    PodInfo other = pod("myproject", "x", "role", "x", "10.244.1.11");
    NetworkPolicies np =
        NetworkPolicies.of(List.of(info), n -> n.equals("myproject") ? myproject : null, List.of());
    assertThat(np.reach(frontend, db, 6379)).isTrue();
    assertThat(np.reach(other, db, 6379)).isTrue();
    assertThat(np.reach(frontend, db, 4143)).isFalse();
    assertThat(np.ingressAllows(db, dev.portolan.policy.netpol.Peer.ip("172.17.1.9"), 6379))
        .isFalse();
    assertThat(np.egressAllows(db, dev.portolan.policy.netpol.Peer.ip("10.0.0.9"), 5978)).isTrue();
    assertThat(np.egressAllows(db, dev.portolan.policy.netpol.Peer.of(frontend), 5978)).isFalse();
  }

  private static PodInfo pod(String ns, String name, String key, String value, String ip) {
    return KubeObjects.pod(
        new PodBuilder()
            .withNewMetadata()
            .withNamespace(ns)
            .withName(name)
            .addToLabels(key, value)
            .endMetadata()
            .withNewStatus()
            .withPodIP(ip)
            .withHostIP("192.168.0.1")
            .endStatus()
            .build());
  }

  @Test
  void a_quoted_number_is_a_port_name_and_rejected_as_kubernetes_does() {
    assertThatThrownBy(() -> yaml("podSelector: {}\ningress: [{ports: [{port: \"80\"}]}]"))
        .hasMessage(
            "NetworkPolicy prod/p: spec.ingress[0].ports[0].port: \"80\" is a string; write the"
                + " number without quotes");
  }

  @Test
  void invalid_policies_name_the_policy_the_field_and_the_reason() {
    assertThatThrownBy(
            () -> yaml("podSelector: {}\ningress: [{from: [{ipBlock: {cidr: 10.0.0.0}}]}]"))
        .hasMessageStartingWith("NetworkPolicy prod/p: spec.ingress[0].from[0].ipBlock.cidr: ")
        .hasMessageContaining("no /prefix");
    assertThatThrownBy(() ->
            yaml(
                "podSelector: {}\negress: [{to: [{ipBlock: {cidr: 10.0.0.0/16,"
                    + " except: [10.1.0.0/24]}}]}]"))
        .hasMessageStartingWith("NetworkPolicy prod/p: spec.egress[0].to[0].ipBlock: ")
        .hasMessageContaining("strict subset");
    assertThatThrownBy(() ->
            yaml(
                "podSelector: {}\ningress: [{from: [{ipBlock: {cidr: 10.0.0.0/8},"
                    + " podSelector: {}}]}]"))
        .hasMessageContaining("spec.ingress[0].from[0]: ipBlock cannot be combined");
    assertThatThrownBy(() -> yaml("podSelector: {}\ningress: [{from: [{}]}]"))
        .hasMessageContaining("spec.ingress[0].from[0]: a peer needs");
    assertThatThrownBy(
            () -> yaml("podSelector: {}\ningress: [{ports: [{port: http, endPort: 90}]}]"))
        .hasMessageContaining("spec.ingress[0].ports[0]: endPort 90 cannot follow the named port");
    assertThatThrownBy(() -> yaml("podSelector: {}\ningress: [{ports: [{endPort: 90}]}]"))
        .hasMessageContaining("endPort 90 needs a numeric port");
    assertThatThrownBy(() -> yaml("podSelector: {}\ningress: [{ports: [{port: 90, endPort: 80}]}]"))
        .hasMessageContaining("spec.ingress[0].ports[0]: invalid port range 90-80");
    assertThatThrownBy(() -> yaml("podSelector: {}\ningress: [{ports: [{protocol: ICMP}]}]"))
        .hasMessageContaining("spec.ingress[0].ports[0].protocol: protocol \"ICMP\"");
    assertThatThrownBy(() -> yaml("podSelector: {}\npolicyTypes: [Ingress, egress]"))
        .hasMessageContaining("spec.policyTypes[1]: policyTypes entry \"egress\"");
  }

  @Test
  void a_port_built_without_a_value_is_every_port() {
    NetworkPolicy np =
        policy()
            .withNewSpec()
            .addNewIngress()
            .withPorts(new NetworkPolicyPortBuilder().withProtocol("TCP").build())
            .endIngress()
            .endSpec()
            .build();
    assertThat(KubeObjects.networkPolicy(np).ingress())
        .containsExactly(new Rule(List.of(), List.of(new Port.All("TCP"))));
  }
}
