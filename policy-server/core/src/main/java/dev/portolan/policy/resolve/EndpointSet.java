package dev.portolan.policy.resolve;

import java.util.List;
import java.util.Map;

/**
 * The endpoints of a (service, port), sorted by address.
 *
 * @param exists whether the Service exists
 * @param labels set-level metric labels (namespace, service)
 */
public record EndpointSet(boolean exists, Map<String, String> labels, List<Endpoint> endpoints) {
  public static final EndpointSet UNKNOWN = new EndpointSet(false, Map.of(), List.of());

  public EndpointSet {
    labels = Map.copyOf(labels);
    endpoints = List.copyOf(endpoints);
  }
}
