package dev.portolan.policy.model;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A Pod trimmed to what the rules read.
 *
 * @param ports container and init container ports
 * @param podIps all pod IPs (first is {@code status.podIP}); empty until scheduled
 * @param meshed carries the {@code linkerd.io/control-plane-ns} label
 * @param proxyInboundListenAddr raw value of the proxy container's inbound listen address env, or
 *     null when the proxy does not set one
 * @param owner the controlling owner, or null
 * @param probes the kubelet's HTTP probes of the Pod's containers (the probe authorizations)
 */
public record PodInfo(
    String namespace,
    String name,
    Map<String, String> labels,
    Map<String, String> annotations,
    List<ContainerPort> ports,
    String serviceAccount,
    List<String> podIps,
    @Nullable String hostIp,
    @Nullable String nodeName,
    @Nullable String phase,
    boolean ready,
    boolean meshed,
    @Nullable String proxyInboundListenAddr,
    @Nullable OwnerRef owner,
    List<HttpProbe> probes)
    implements Resource {

  public PodInfo {
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    ports = List.copyOf(ports);
    podIps = List.copyOf(podIps);
    probes = List.copyOf(probes);
    serviceAccount =
        serviceAccount == null || serviceAccount.isEmpty() ? "default" : serviceAccount;
  }

  /** A Pod without HTTP probes. */
  public PodInfo(
      String namespace,
      String name,
      Map<String, String> labels,
      Map<String, String> annotations,
      List<ContainerPort> ports,
      String serviceAccount,
      List<String> podIps,
      @Nullable String hostIp,
      @Nullable String nodeName,
      @Nullable String phase,
      boolean ready,
      boolean meshed,
      @Nullable String proxyInboundListenAddr,
      @Nullable OwnerRef owner) {
    this(
        namespace,
        name,
        labels,
        annotations,
        ports,
        serviceAccount,
        podIps,
        hostIp,
        nodeName,
        phase,
        ready,
        meshed,
        proxyInboundListenAddr,
        owner,
        List.of());
  }

  /** The distinct paths of the Pod's HTTP probes on {@code port}, sorted. */
  public List<String> probePaths(int port) {
    return probes.stream()
        .filter(p -> p.port() == port)
        .map(HttpProbe::path)
        .distinct()
        .sorted()
        .toList();
  }

  @Override
  public Kind kind() {
    return Kind.POD;
  }

  public ObjectRef ref() {
    return ObjectRef.pod(namespace, name);
  }

  /** Ready and running with an IP: eligible as an endpoint. */
  public boolean isReadyEndpoint() {
    return ready && !podIps.isEmpty() && (phase == null || phase.equals("Running"));
  }

  /**
   * Container port names resolve to their ports (TCP only), for annotations on or applied to this
   * Pod.
   */
  public PortNames portNames() {
    return name -> {
      List<PortRange> out = new java.util.ArrayList<>(1);
      for (ContainerPort p : ports) {
        if (name.equals(p.name()) && p.isTcp()) {
          out.add(PortRange.of(p.port()));
        }
      }
      return PortSet.of(out);
    };
  }
}
