package dev.portolan.policy.index;

import dev.portolan.policy.model.EndpointSliceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.ServerInfo;
import dev.portolan.policy.model.ServiceInfo;
import java.util.List;
import java.util.Map;

/**
 * The objects of one namespace, immutable. A change copies only the namespace it touches, so a
 * snapshot of 10,000 pods is not copied whole for one Pod edit.
 */
record NamespaceState(
    Map<String, PodInfo> pods,
    Map<String, ServiceInfo> services,
    Map<String, ServerInfo> servers,
    Map<String, EndpointSliceInfo> slices,
    Map<String, List<EndpointSliceInfo>> slicesByService,
    Map<String, NetworkPolicyInfo> networkPolicies) {

  static final NamespaceState EMPTY =
      new NamespaceState(Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of());

  boolean isEmpty() {
    return pods.isEmpty()
        && services.isEmpty()
        && servers.isEmpty()
        && slices.isEmpty()
        && networkPolicies.isEmpty();
  }
}
