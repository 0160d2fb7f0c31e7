package dev.portolan.policy.model;

import java.util.List;

/** A discovery.k8s.io/v1 EndpointSlice trimmed to what endpoint resolution reads. */
public record EndpointSliceInfo(
    String namespace,
    String name,
    String serviceName,
    List<Endpoint> endpoints,
    List<SlicePort> ports)
    implements Resource {

  public EndpointSliceInfo {
    endpoints = List.copyOf(endpoints);
    ports = List.copyOf(ports);
  }

  @Override
  public Kind kind() {
    return Kind.ENDPOINT_SLICE;
  }

  /**
   * One endpoint.
   *
   * @param ready null means ready (Kubernetes: "unknown state should be interpreted as ready")
   * @param targetPodName the Pod of targetRef, or null
   */
  public record Endpoint(
      List<String> addresses,
      Boolean ready,
      Boolean serving,
      Boolean terminating,
      String targetPodName,
      String hostname,
      String zone) {
    public Endpoint {
      addresses = List.copyOf(addresses);
    }

    public boolean isReady() {
      return ready == null || ready;
    }
  }

  /** A slice port; the name matches the Service port name ("" when unnamed). */
  public record SlicePort(String name, int port, String protocol) {
    public SlicePort {
      name = name == null ? "" : name;
    }
  }
}
