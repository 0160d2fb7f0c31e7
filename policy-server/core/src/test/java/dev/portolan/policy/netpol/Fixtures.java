package dev.portolan.policy.netpol;

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
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** Builders for NetworkPolicy tests: {@code policy("ns", "p").select("app", "db").ingress(...)}. */
final class Fixtures {
  private Fixtures() {}

  static Map<String, String> labels(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  static LabelSelector sel(String... kv) {
    return LabelSelector.of(labels(kv));
  }

  static LabelSelector expr(String key, String operator, String... values) {
    return new LabelSelector(
        Map.of(), List.of(new LabelSelector.Requirement(key, operator, List.of(values))));
  }

  static NamespaceInfo namespace(String name, String... kv) {
    return new NamespaceInfo(name, labels(kv), Map.of());
  }

  static NetworkPolicies world(
      Collection<NetworkPolicyInfo> policies, NamespaceInfo... namespaces) {
    Map<String, NamespaceInfo> byName = new HashMap<>();
    for (NamespaceInfo n : namespaces) {
      byName.put(n.name(), n);
    }
    return NetworkPolicies.of(policies, byName::get, List.of());
  }

  static NetworkPolicies world(
      Collection<NetworkPolicyInfo> policies,
      Function<String, NamespaceInfo> namespaces,
      Collection<String> nodeIps) {
    return NetworkPolicies.of(policies, namespaces::apply, nodeIps);
  }

  // ---- peers and ports

  static NetworkPolicyInfo.Peer pods(LabelSelector podSelector) {
    return new NetworkPolicyInfo.Peer.Pods(podSelector, null);
  }

  static NetworkPolicyInfo.Peer namespaces(LabelSelector namespaceSelector) {
    return new NetworkPolicyInfo.Peer.Pods(null, namespaceSelector);
  }

  static NetworkPolicyInfo.Peer podsIn(LabelSelector namespaceSelector, LabelSelector podSelector) {
    return new NetworkPolicyInfo.Peer.Pods(podSelector, namespaceSelector);
  }

  static NetworkPolicyInfo.Peer ipBlock(String cidr, String... except) {
    return new NetworkPolicyInfo.Peer.Block(
        new IpBlock(Cidr.parse(cidr), Arrays.stream(except).map(Cidr::parse).toList()));
  }

  static Port tcp(int port) {
    return new Port.Numbers("TCP", PortRange.of(port));
  }

  static Port tcp(int port, int endPort) {
    return new Port.Numbers("TCP", new PortRange(port, endPort));
  }

  static Port udp(int port) {
    return new Port.Numbers("UDP", PortRange.of(port));
  }

  static Port sctp(int port) {
    return new Port.Numbers("SCTP", PortRange.of(port));
  }

  static Port named(String name) {
    return new Port.Named("TCP", name);
  }

  static Port allPorts(String protocol) {
    return new Port.All(protocol);
  }

  static RuleBuilder rule() {
    return new RuleBuilder();
  }

  static final class RuleBuilder {
    private final List<NetworkPolicyInfo.Peer> peers = new ArrayList<>();
    private final List<Port> ports = new ArrayList<>();

    RuleBuilder peers(NetworkPolicyInfo.Peer... p) {
      peers.addAll(List.of(p));
      return this;
    }

    RuleBuilder ports(Port... p) {
      ports.addAll(List.of(p));
      return this;
    }

    Rule build() {
      return new Rule(peers, ports);
    }
  }

  // ---- policies

  static PolicyBuilder policy(String namespace, String name) {
    return new PolicyBuilder(namespace, name);
  }

  static final class PolicyBuilder {
    private final String namespace;
    private final String name;
    private LabelSelector podSelector = LabelSelector.EVERYTHING;
    private Set<PolicyType> types;
    private final List<Rule> ingress = new ArrayList<>();
    private final List<Rule> egress = new ArrayList<>();

    PolicyBuilder(String namespace, String name) {
      this.namespace = namespace;
      this.name = name;
    }

    PolicyBuilder select(LabelSelector s) {
      podSelector = s;
      return this;
    }

    PolicyBuilder select(String... kv) {
      return select(sel(kv));
    }

    /** Explicit policyTypes; without this call, the API server's default applies. */
    PolicyBuilder types(PolicyType... t) {
      types = EnumSet.copyOf(List.of(t));
      return this;
    }

    PolicyBuilder ingress(RuleBuilder... rules) {
      for (RuleBuilder r : rules) {
        ingress.add(r.build());
      }
      return this;
    }

    PolicyBuilder egress(RuleBuilder... rules) {
      for (RuleBuilder r : rules) {
        egress.add(r.build());
      }
      return this;
    }

    NetworkPolicyInfo build() {
      Set<PolicyType> t = types != null ? types : NetworkPolicyInfo.defaultPolicyTypes(egress);
      return new NetworkPolicyInfo(namespace, name, podSelector, t, ingress, egress);
    }
  }

  // ---- pods

  static PodBuilder pod(String namespace, String name) {
    return new PodBuilder(namespace, name);
  }

  static final class PodBuilder {
    private final String namespace;
    private final String name;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final List<ContainerPort> ports = new ArrayList<>();
    private final List<String> ips = new ArrayList<>();
    private String hostIp = "192.168.0.1";

    PodBuilder(String namespace, String name) {
      this.namespace = namespace;
      this.name = name;
    }

    PodBuilder label(String k, String v) {
      labels.put(k, v);
      return this;
    }

    PodBuilder ip(String... ip) {
      ips.addAll(List.of(ip));
      return this;
    }

    PodBuilder host(String ip) {
      hostIp = ip;
      return this;
    }

    PodBuilder port(String name, int port) {
      ports.add(new ContainerPort(name, port, "TCP"));
      return this;
    }

    PodBuilder port(String name, int port, String protocol) {
      ports.add(new ContainerPort(name, port, protocol));
      return this;
    }

    PodInfo build() {
      return new PodInfo(
          namespace,
          name,
          labels,
          Map.of(),
          ports,
          "default",
          ips,
          hostIp,
          "node-" + hostIp,
          "Running",
          true,
          true,
          null,
          null);
    }
  }
}
