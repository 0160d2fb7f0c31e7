package dev.portolan.policy.model;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A Service trimmed to what the rules read.
 *
 * @param selector the pod selector, or null for a Service without one (endpoints come only from
 *     EndpointSlices then)
 * @param clusterIps cluster IPs; empty for headless Services
 * @param type ClusterIP, NodePort, LoadBalancer or ExternalName
 */
public record ServiceInfo(
    String namespace,
    String name,
    Map<String, String> annotations,
    @Nullable Map<String, String> selector,
    List<ServicePort> ports,
    List<String> clusterIps,
    String type)
    implements Resource {

  public ServiceInfo {
    annotations = Map.copyOf(annotations);
    selector = selector == null ? null : Map.copyOf(selector);
    ports = List.copyOf(ports);
    clusterIps = List.copyOf(clusterIps);
    type = type == null || type.isEmpty() ? "ClusterIP" : type;
  }

  @Override
  public Kind kind() {
    return Kind.SERVICE;
  }

  public ObjectRef ref() {
    return ObjectRef.service(namespace, name);
  }

  public boolean isExternalName() {
    return type.equals("ExternalName");
  }

  public boolean isHeadless() {
    return clusterIps.isEmpty();
  }

  public @Nullable ServicePort port(int port) {
    for (ServicePort p : ports) {
      if (p.port() == port) {
        return p;
      }
    }
    return null;
  }

  /** Service port names resolve to their service ports, for the Service's own annotation. */
  public PortNames portNames() {
    return n -> {
      List<PortRange> out = new java.util.ArrayList<>(1);
      for (ServicePort p : ports) {
        if (n.equals(p.name())) {
          out.add(PortRange.of(p.port()));
        }
      }
      return PortSet.of(out);
    };
  }

  /**
   * A Service port.
   *
   * @param targetPort the target port as written: a number or a container port name; never null
   *     (defaults to the port number)
   * @param appProtocol may be null
   */
  public record ServicePort(
      String name,
      int port,
      String targetPort,
      @Nullable String appProtocol,
      @Nullable String protocol) {
    public ServicePort {
      name = name == null ? "" : name;
      targetPort = targetPort == null || targetPort.isEmpty() ? Integer.toString(port) : targetPort;
    }

    /** The numeric target port, or -1 when it is a name. */
    public int numericTargetPort() {
      try {
        return Integer.parseInt(targetPort);
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    /** The target port on a given pod: the number, or the pod's container port of that name. */
    public int targetPortOn(PodInfo pod) {
      int n = numericTargetPort();
      if (n > 0) {
        return n;
      }
      for (ContainerPort cp : pod.ports()) {
        if (targetPort.equals(cp.name()) && cp.isTcp()) {
          return cp.port();
        }
      }
      return -1;
    }

    public boolean isTcp() {
      return protocol == null || protocol.isEmpty() || protocol.equalsIgnoreCase("TCP");
    }
  }
}
