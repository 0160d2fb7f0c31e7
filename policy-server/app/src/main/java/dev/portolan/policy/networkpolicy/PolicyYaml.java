package dev.portolan.policy.networkpolicy;

import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Port;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlockBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A NetworkPolicy written back out as a manifest, with one port added to one rule: the suggested
 * patch of a {@link Conflict}. Built from the trimmed policy, which keeps every field the policy's
 * meaning depends on (selectors, types, peers, ports); labels and annotations of the policy are not
 * kept, so the manifest is meant to be compared with the one the user maintains, or applied as is.
 */
final class PolicyYaml {
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  private PolicyYaml() {}

  /**
   * {@code policy} with TCP {@code port} added to {@code spec.<direction>[rule].ports}, as YAML.
   */
  static String withPort(NetworkPolicyInfo policy, PolicyType direction, int rule, int port) {
    return YAML.asYaml(build(policy, direction, rule, port));
  }

  static NetworkPolicy build(NetworkPolicyInfo policy, PolicyType direction, int rule, int port) {
    List<NetworkPolicyIngressRule> ingress = new ArrayList<>();
    for (int i = 0; i < policy.ingress().size(); i++) {
      Rule r = policy.ingress().get(i);
      ingress.add(
          new NetworkPolicyIngressRuleBuilder()
              .withFrom(peers(r))
              .withPorts(ports(r, direction == PolicyType.INGRESS && i == rule ? port : 0))
              .build());
    }
    List<NetworkPolicyEgressRule> egress = new ArrayList<>();
    for (int i = 0; i < policy.egress().size(); i++) {
      Rule r = policy.egress().get(i);
      egress.add(
          new NetworkPolicyEgressRuleBuilder()
              .withTo(peers(r))
              .withPorts(ports(r, direction == PolicyType.EGRESS && i == rule ? port : 0))
              .build());
    }
    List<String> types = new ArrayList<>();
    for (PolicyType t : PolicyType.values()) {
      if (policy.affects(t)) {
        types.add(t.apiName());
      }
    }
    var spec =
        new NetworkPolicyBuilder()
            .withNewMetadata()
            .withNamespace(policy.namespace())
            .withName(policy.name())
            .endMetadata()
            .withNewSpec()
            .withPodSelector(selector(policy.podSelector()))
            .withPolicyTypes(types);
    if (policy.affects(PolicyType.INGRESS)) {
      spec = spec.withIngress(ingress);
    }
    if (policy.affects(PolicyType.EGRESS)) {
      spec = spec.withEgress(egress);
    }
    return spec.endSpec().build();
  }

  private static List<NetworkPolicyPeer> peers(Rule r) {
    List<NetworkPolicyPeer> out = new ArrayList<>();
    for (NetworkPolicyInfo.Peer p : r.peers()) {
      NetworkPolicyPeerBuilder b = new NetworkPolicyPeerBuilder();
      switch (p) {
        case NetworkPolicyInfo.Peer.Block block ->
            b.withIpBlock(
                new IPBlockBuilder()
                    .withCidr(block.block().cidr().toString())
                    .withExcept(block.block().except().stream().map(Object::toString).toList())
                    .build());
        case NetworkPolicyInfo.Peer.Pods pods -> {
          LabelSelector podSelector = pods.podSelector();
          LabelSelector namespaceSelector = pods.namespaceSelector();
          if (podSelector != null) {
            b.withPodSelector(selector(podSelector));
          }
          if (namespaceSelector != null) {
            b.withNamespaceSelector(selector(namespaceSelector));
          }
        }
      }
      out.add(b.build());
    }
    return out;
  }

  /** The rule's ports, plus TCP {@code extra} when it is > 0. */
  private static List<NetworkPolicyPort> ports(Rule r, int extra) {
    List<NetworkPolicyPort> out = new ArrayList<>();
    for (Port p : r.ports()) {
      NetworkPolicyPortBuilder b = new NetworkPolicyPortBuilder().withProtocol(p.protocol());
      switch (p) {
        case Port.All a -> {}
        case Port.Numbers n -> {
          b.withPort(new IntOrString(n.range().lo()));
          if (n.range().hi() != n.range().lo()) {
            b.withEndPort(n.range().hi());
          }
        }
        case Port.Named n -> b.withPort(new IntOrString(n.name()));
      }
      out.add(b.build());
    }
    if (extra > 0) {
      out.add(
          new NetworkPolicyPortBuilder()
              .withProtocol("TCP")
              .withPort(new IntOrString(extra))
              .build());
    }
    return out;
  }

  private static io.fabric8.kubernetes.api.model.LabelSelector selector(@Nullable LabelSelector s) {
    LabelSelectorBuilder b = new LabelSelectorBuilder();
    if (s == null) {
      return b.build();
    }
    if (!s.matchLabels().isEmpty()) {
      b.withMatchLabels(new TreeMap<>(s.matchLabels()));
    }
    for (LabelSelector.Requirement r : s.matchExpressions()) {
      b.addToMatchExpressions(
          new LabelSelectorRequirementBuilder()
              .withKey(r.key())
              .withOperator(r.operator())
              .withValues(r.values().isEmpty() ? null : r.values())
              .build());
    }
    return b.build();
  }
}
