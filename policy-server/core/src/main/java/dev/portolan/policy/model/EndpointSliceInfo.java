package dev.portolan.policy.model;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** A discovery.k8s.io/v1 EndpointSlice trimmed to what endpoint resolution reads. */
public record EndpointSliceInfo(
    String namespace,
    String name,
    @Nullable String serviceName,
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
      @Nullable Boolean ready,
      @Nullable Boolean serving,
      @Nullable Boolean terminating,
      @Nullable String targetPodName,
      @Nullable String hostname,
      @Nullable String zone) {
    public Endpoint {
      addresses = List.copyOf(addresses);
    }

    public boolean isReady() {
      return ready == null || ready;
    }
  }

  /** A slice port; the name matches the Service port name ("" when unnamed). */
  public record SlicePort(String name, int port, @Nullable String protocol) {
    public SlicePort {
      name = name == null ? "" : name;
    }
  }
}
