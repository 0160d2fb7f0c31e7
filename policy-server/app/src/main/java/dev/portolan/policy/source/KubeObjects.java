package dev.portolan.policy.source;

import dev.portolan.policy.model.Annotations;
import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.EndpointSliceInfo;
import dev.portolan.policy.model.HttpProbe;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.OwnerRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.PortRange;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.model.ServerInfo;
import dev.portolan.policy.model.ServiceInfo;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Trims fabric8 objects to the records the rules read. Both sources (manifests and informers) go
 * through here, so every answer is the same whichever source produced the objects.
 */
public final class KubeObjects {
  public static final String SERVER_GROUP = "policy.linkerd.io";
  private static final List<String> PROXY_CONTAINERS = List.of("portolan-proxy", "linkerd-proxy");
  private static final List<String> INBOUND_ENV =
      List.of("PORTOLAN_PROXY_INBOUND_LISTEN_ADDR", "LINKERD2_PROXY_INBOUND_LISTEN_ADDR");

  private KubeObjects() {}

  /** The record for an object, or empty for kinds Portolan does not read. */
  public static Optional<Resource> convert(HasMetadata obj) {
    return Optional.ofNullable(
        switch (obj) {
          case Namespace n -> namespace(n);
          case Pod p -> pod(p);
          case Service s -> service(s);
          case EndpointSlice s -> slice(s);
          case NetworkPolicy np -> networkPolicy(np);
          case GenericKubernetesResource g when isServer(g) -> server(g);
          default -> null;
        });
  }

  public static boolean isServer(HasMetadata g) {
    String api = g.getApiVersion();
    return "Server".equals(g.getKind()) && api != null && api.startsWith(SERVER_GROUP + "/");
  }

  public static NamespaceInfo namespace(Namespace n) {
    ObjectMeta m = n.getMetadata();
    return new NamespaceInfo(m.getName(), map(m.getLabels()), map(m.getAnnotations()));
  }

  public static PodInfo pod(Pod p) {
    ObjectMeta m = p.getMetadata();
    var spec = p.getSpec();
    var status = p.getStatus();
    List<ContainerPort> ports = new ArrayList<>();
    List<HttpProbe> probes = new ArrayList<>();
    String inboundAddr = null;
    if (spec != null) {
      for (List<Container> cs :
          List.of(list(spec.getContainers()), list(spec.getInitContainers()))) {
        for (Container c : cs) {
          for (var cp : list(c.getPorts())) {
            if (cp.getContainerPort() != null) {
              ports.add(
                  new ContainerPort(str(cp.getName()), cp.getContainerPort(), cp.getProtocol()));
            }
          }
          for (Probe probe :
              Arrays.asList(c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe())) {
            HttpProbe h = httpProbe(c, probe);
            if (h != null && !probes.contains(h)) {
              probes.add(h);
            }
          }
          if (PROXY_CONTAINERS.contains(c.getName())) {
            for (EnvVar e : list(c.getEnv())) {
              if (INBOUND_ENV.contains(e.getName()) && e.getValue() != null) {
                inboundAddr = e.getValue();
              }
            }
          }
        }
      }
    }
    List<String> ips = new ArrayList<>();
    String hostIp = null;
    String phase = null;
    boolean ready = false;
    if (status != null) {
      for (PodIP ip : list(status.getPodIPs())) {
        if (ip.getIp() != null && !ips.contains(ip.getIp())) {
          ips.add(ip.getIp());
        }
      }
      if (status.getPodIP() != null && !ips.contains(status.getPodIP())) {
        ips.addFirst(status.getPodIP());
      }
      hostIp = status.getHostIP();
      phase = status.getPhase();
      for (var c : list(status.getConditions())) {
        if ("Ready".equals(c.getType())) {
          ready = "True".equalsIgnoreCase(c.getStatus());
        }
      }
    }
    OwnerRef owner = null;
    for (var ref : list(m.getOwnerReferences())) {
      if (Boolean.TRUE.equals(ref.getController()) || owner == null) {
        owner = new OwnerRef(ref.getKind(), ref.getName());
      }
    }
    Map<String, String> labels = map(m.getLabels());
    return new PodInfo(
        m.getNamespace(),
        m.getName(),
        labels,
        map(m.getAnnotations()),
        ports,
        // PodInfo reads an empty service account as "default".
        Objects.requireNonNullElse(spec == null ? null : spec.getServiceAccountName(), ""),
        ips,
        hostIp,
        spec == null ? null : spec.getNodeName(),
        phase,
        ready,
        labels.containsKey(Annotations.CONTROL_PLANE_NS_LABEL),
        inboundAddr,
        owner,
        probes);
  }

  /**
   * The kubelet's request for an {@code httpGet} probe of container {@code c}, or null: not an HTTP
   * probe, an HTTPS one (the kubelet's TLS hides the path from the proxy, which relays it as it
   * is), or a port name the container does not declare (the kubelet cannot probe it either).
   */
  static @Nullable HttpProbe httpProbe(Container c, @Nullable Probe probe) {
    if (probe == null || probe.getHttpGet() == null) {
      return null;
    }
    var g = probe.getHttpGet();
    if (g.getScheme() != null && !g.getScheme().equalsIgnoreCase("HTTP")) {
      return null;
    }
    IntOrString port = g.getPort();
    int number = 0;
    if (port != null && port.getIntVal() != null) {
      number = port.getIntVal();
    } else if (port != null && port.getStrVal() != null) {
      for (var cp : list(c.getPorts())) {
        if (port.getStrVal().equals(cp.getName()) && cp.getContainerPort() != null) {
          number = cp.getContainerPort();
        }
      }
    }
    if (number < 1 || number > 65535) {
      return null;
    }
    String path = g.getPath() == null ? "/" : g.getPath();
    return new HttpProbe(number, path.startsWith("/") ? path : "/" + path);
  }

  public static ServiceInfo service(Service s) {
    ObjectMeta m = s.getMetadata();
    var spec = s.getSpec();
    List<ServiceInfo.ServicePort> ports = new ArrayList<>();
    List<String> clusterIps = new ArrayList<>();
    String type = null;
    Map<String, String> selector = null;
    if (spec != null) {
      for (var p : list(spec.getPorts())) {
        if (p.getPort() == null) {
          continue;
        }
        ports.add(
            new ServiceInfo.ServicePort(
                p.getName(),
                p.getPort(),
                // ServicePort reads an empty target port as the port number.
                Objects.requireNonNullElse(intOrString(p.getTargetPort()), ""),
                p.getAppProtocol(),
                p.getProtocol()));
      }
      List<String> ips = list(spec.getClusterIPs());
      if (ips.isEmpty() && spec.getClusterIP() != null) {
        ips = List.of(spec.getClusterIP());
      }
      for (String ip : ips) {
        if (ip != null && !ip.isEmpty() && !"None".equalsIgnoreCase(ip)) {
          clusterIps.add(ip);
        }
      }
      type = spec.getType();
      selector = spec.getSelector();
    }
    return new ServiceInfo(
        m.getNamespace(),
        m.getName(),
        map(m.getAnnotations()),
        selector,
        ports,
        clusterIps,
        Objects.requireNonNullElse(type, ""));
  }

  public static EndpointSliceInfo slice(EndpointSlice s) {
    ObjectMeta m = s.getMetadata();
    String service = map(m.getLabels()).get("kubernetes.io/service-name");
    List<EndpointSliceInfo.Endpoint> endpoints = new ArrayList<>();
    for (var e : list(s.getEndpoints())) {
      var c = e.getConditions();
      var target = e.getTargetRef();
      endpoints.add(
          new EndpointSliceInfo.Endpoint(
              list(e.getAddresses()),
              c == null ? null : c.getReady(),
              c == null ? null : c.getServing(),
              c == null ? null : c.getTerminating(),
              target != null && "Pod".equals(target.getKind()) ? target.getName() : null,
              e.getHostname(),
              e.getZone()));
    }
    List<EndpointSliceInfo.SlicePort> ports = new ArrayList<>();
    for (var p : list(s.getPorts())) {
      if (p.getPort() != null) {
        ports.add(new EndpointSliceInfo.SlicePort(p.getName(), p.getPort(), p.getProtocol()));
      }
    }
    return new EndpointSliceInfo(m.getNamespace(), m.getName(), service, endpoints, ports);
  }

  /**
   * A NetworkPolicy, with {@code policyTypes} defaulted as the API server does when absent. The API
   * server validates these objects on admission; a manifest can still hold a mistake it would have
   * refused, which is reported with the policy, the field and the reason instead of guessed at.
   *
   * @throws IllegalArgumentException naming the policy, the field path and what is wrong
   */
  public static NetworkPolicyInfo networkPolicy(NetworkPolicy np) {
    ObjectMeta m = np.getMetadata();
    var spec = np.getSpec();
    if (spec == null) {
      // The API server stores a missing spec as {podSelector: {}}: every pod, ingress isolated.
      return new NetworkPolicyInfo(m.getNamespace(), m.getName(), LabelSelector.EVERYTHING);
    }
    try {
      List<NetworkPolicyInfo.Rule> ingress = new ArrayList<>();
      List<NetworkPolicyIngressRule> in = list(spec.getIngress());
      for (int i = 0; i < in.size(); i++) {
        NetworkPolicyIngressRule r = in.get(i);
        String path = "spec.ingress[" + i + "]";
        ingress.add(
            r == null
                ? NetworkPolicyInfo.Rule.ALLOW_ALL
                : new NetworkPolicyInfo.Rule(
                    peers(r.getFrom(), path + ".from"), ports(r.getPorts(), path + ".ports")));
      }
      List<NetworkPolicyInfo.Rule> egress = new ArrayList<>();
      List<NetworkPolicyEgressRule> out = list(spec.getEgress());
      for (int i = 0; i < out.size(); i++) {
        NetworkPolicyEgressRule r = out.get(i);
        String path = "spec.egress[" + i + "]";
        egress.add(
            r == null
                ? NetworkPolicyInfo.Rule.ALLOW_ALL
                : new NetworkPolicyInfo.Rule(
                    peers(r.getTo(), path + ".to"), ports(r.getPorts(), path + ".ports")));
      }
      Set<NetworkPolicyInfo.PolicyType> types = EnumSet.noneOf(NetworkPolicyInfo.PolicyType.class);
      List<String> written = list(spec.getPolicyTypes());
      for (int i = 0; i < written.size(); i++) {
        String t = written.get(i);
        types.add(at("spec.policyTypes[" + i + "]", () -> NetworkPolicyInfo.PolicyType.parse(t)));
      }
      return new NetworkPolicyInfo(
          m.getNamespace(),
          m.getName(),
          selector(spec.getPodSelector()),
          types.isEmpty() ? NetworkPolicyInfo.defaultPolicyTypes(egress) : types,
          ingress,
          egress);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "NetworkPolicy " + m.getNamespace() + "/" + m.getName() + ": " + e.getMessage(), e);
    }
  }

  private static List<NetworkPolicyInfo.Peer> peers(List<NetworkPolicyPeer> peers, String path) {
    List<NetworkPolicyInfo.Peer> out = new ArrayList<>();
    for (int i = 0; i < list(peers).size(); i++) {
      out.add(peer(peers.get(i), path + "[" + i + "]"));
    }
    return out;
  }

  private static NetworkPolicyInfo.Peer peer(NetworkPolicyPeer p, String path) {
    IPBlock b = p == null ? null : p.getIpBlock();
    if (b != null) {
      if (p.getPodSelector() != null || p.getNamespaceSelector() != null) {
        throw new IllegalArgumentException(
            path + ": ipBlock cannot be combined with podSelector or namespaceSelector");
      }
      if (b.getCidr() == null || b.getCidr().isEmpty()) {
        throw new IllegalArgumentException(path + ".ipBlock.cidr: missing");
      }
      Cidr cidr = at(path + ".ipBlock.cidr", () -> Cidr.parse(b.getCidr()));
      List<Cidr> except = new ArrayList<>();
      List<String> written = list(b.getExcept());
      for (int i = 0; i < written.size(); i++) {
        String e = str(written.get(i));
        except.add(at(path + ".ipBlock.except[" + i + "]", () -> Cidr.parse(e)));
      }
      return at(
          path + ".ipBlock",
          () -> new NetworkPolicyInfo.Peer.Block(new NetworkPolicyInfo.IpBlock(cidr, except)));
    }
    if (p == null || (p.getPodSelector() == null && p.getNamespaceSelector() == null)) {
      throw new IllegalArgumentException(
          path + ": a peer needs a podSelector, a namespaceSelector or an ipBlock");
    }
    return new NetworkPolicyInfo.Peer.Pods(
        p.getPodSelector() == null ? null : selector(p.getPodSelector()),
        p.getNamespaceSelector() == null ? null : selector(p.getNamespaceSelector()));
  }

  private static List<NetworkPolicyInfo.Port> ports(List<NetworkPolicyPort> ports, String path) {
    List<NetworkPolicyInfo.Port> out = new ArrayList<>();
    for (int i = 0; i < list(ports).size(); i++) {
      out.add(port(ports.get(i), path + "[" + i + "]"));
    }
    return out;
  }

  private static NetworkPolicyInfo.Port port(NetworkPolicyPort p, String path) {
    if (p == null) {
      return new NetworkPolicyInfo.Port.All("TCP");
    }
    String protocol =
        at(path + ".protocol", () -> NetworkPolicyInfo.Port.normalize(p.getProtocol()));
    IntOrString port = p.getPort();
    Integer end = p.getEndPort();
    if (port == null || (port.getIntVal() == null && port.getStrVal() == null)) {
      if (end != null) {
        throw new IllegalArgumentException(path + ": endPort " + end + " needs a numeric port");
      }
      return new NetworkPolicyInfo.Port.All(protocol);
    }
    if (port.getIntVal() != null) {
      int lo = port.getIntVal();
      int hi = end == null ? lo : end;
      return at(path, () -> new NetworkPolicyInfo.Port.Numbers(protocol, new PortRange(lo, hi)));
    }
    String name = port.getStrVal();
    if (end != null) {
      throw new IllegalArgumentException(
          path + ": endPort " + end + " cannot follow the named port \"" + name + "\"");
    }
    if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
      // Kubernetes reads a quoted number as a port name and rejects it (names need a letter).
      throw new IllegalArgumentException(
          path + ".port: \"" + name + "\" is a string; write the number without quotes");
    }
    return at(path + ".port", () -> new NetworkPolicyInfo.Port.Named(protocol, name));
  }

  /** Runs {@code s}, prefixing the message of a refusal with the field it concerns. */
  private static <T> T at(String path, Supplier<T> s) {
    try {
      return s.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
    }
  }

  /** A Server of any served version (v1beta1..v1beta3 share the fields read here). */
  public static ServerInfo server(GenericKubernetesResource g) {
    ObjectMeta m = g.getMetadata();
    Object specObj = g.getAdditionalProperties().get("spec");
    Map<?, ?> spec = specObj instanceof Map<?, ?> sm ? sm : Map.of();
    Object port = spec.get("port");
    Object proto = spec.get("proxyProtocol");
    return new ServerInfo(
        m.getNamespace(),
        m.getName(),
        selector(spec.get("podSelector")),
        port == null ? "" : port.toString(),
        proto == null ? null : proto.toString(),
        timestamp(m.getCreationTimestamp()),
        map(m.getAnnotations()));
  }

  static LabelSelector selector(io.fabric8.kubernetes.api.model.@Nullable LabelSelector s) {
    if (s == null) {
      return LabelSelector.EVERYTHING;
    }
    List<LabelSelector.Requirement> reqs = new ArrayList<>();
    for (LabelSelectorRequirement r : list(s.getMatchExpressions())) {
      reqs.add(new LabelSelector.Requirement(r.getKey(), r.getOperator(), list(r.getValues())));
    }
    return new LabelSelector(map(s.getMatchLabels()), reqs);
  }

  /** A podSelector read from an untyped map (custom resources). */
  static LabelSelector selector(@Nullable Object raw) {
    if (!(raw instanceof Map<?, ?> map)) {
      return LabelSelector.EVERYTHING;
    }
    Map<String, String> labels = new java.util.HashMap<>();
    if (map.get("matchLabels") instanceof Map<?, ?> ml) {
      ml.forEach((k, v) -> labels.put(String.valueOf(k), String.valueOf(v)));
    }
    List<LabelSelector.Requirement> reqs = new ArrayList<>();
    if (map.get("matchExpressions") instanceof List<?> exprs) {
      for (Object o : exprs) {
        if (o instanceof Map<?, ?> e) {
          List<String> values = new ArrayList<>();
          if (e.get("values") instanceof List<?> vs) {
            vs.forEach(v -> values.add(String.valueOf(v)));
          }
          reqs.add(
              new LabelSelector.Requirement(
                  String.valueOf(e.get("key")), String.valueOf(e.get("operator")), values));
        }
      }
    }
    return new LabelSelector(labels, reqs);
  }

  private static @Nullable Instant timestamp(@Nullable String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static @Nullable String intOrString(@Nullable IntOrString v) {
    if (v == null) {
      return null;
    }
    return v.getIntVal() != null ? v.getIntVal().toString() : v.getStrVal();
  }

  private static <T> List<T> list(List<T> l) {
    return l == null ? List.of() : l;
  }

  private static Map<String, String> map(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }

  private static String str(String s) {
    return s == null ? "" : s;
  }
}
