package dev.portolan.policy.netpol;

import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.PodInfo;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The other end of a connection as NetworkPolicies see it: a pod of the cluster, or a bare address
 * (a node, something outside the cluster). Selectors ({@code podSelector}, {@code
 * namespaceSelector}) match only pods; {@code ipBlock} matches any peer by its address.
 */
public sealed interface Peer {
  /** The connection's address at this end, or null when unknown (then no ipBlock matches). */
  @Nullable IpAddress ip();

  /**
   * A pod.
   *
   * @param labels the pod's labels
   * @param ip the address of the connection at this pod (a pod may have one per family)
   * @param ports the pod's container ports; named ports of egress rules resolve against them when
   *     this pod is the destination
   */
  record Pod(
      String namespace,
      Map<String, String> labels,
      @Nullable IpAddress ip,
      List<ContainerPort> ports)
      implements Peer {
    public Pod {
      labels = Map.copyOf(labels);
      ports = List.copyOf(ports);
    }
  }

  /** An address that is not a known pod. */
  record Ip(IpAddress ip) implements Peer {}

  /** The pod at its first IP ({@code status.podIP}), or with no IP when it has none yet. */
  static Pod of(PodInfo pod) {
    return of(pod, pod.podIps().isEmpty() ? null : pod.podIps().getFirst());
  }

  /**
   * The pod at address {@code ip}. An unreadable address is treated as unknown: the pod then
   * matches no ipBlock, which only narrows what an ipBlock-only rule allows it.
   */
  static Pod of(PodInfo pod, @Nullable String ip) {
    return new Pod(pod.namespace(), pod.labels(), parseOrNull(ip), pod.ports());
  }

  /**
   * A bare address.
   *
   * @throws IllegalArgumentException when {@code ip} is not an IP literal
   */
  static Ip ip(String ip) {
    return new Ip(IpAddress.parse(ip));
  }

  private static @Nullable IpAddress parseOrNull(@Nullable String ip) {
    if (ip == null || ip.isEmpty()) {
      return null;
    }
    try {
      return IpAddress.parse(ip);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
