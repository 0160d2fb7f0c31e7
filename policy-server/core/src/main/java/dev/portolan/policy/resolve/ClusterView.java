package dev.portolan.policy.resolve;

import dev.portolan.policy.model.EndpointSliceInfo;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.ServerInfo;
import dev.portolan.policy.model.ServiceInfo;
import dev.portolan.policy.netpol.NetworkPolicies;
import java.util.Collection;
import org.jspecify.annotations.Nullable;

/** The read side of one consistent snapshot of the cluster, as the rules need it. */
public interface ClusterView {
  /** Null when unknown. */
  @Nullable NamespaceInfo namespace(String name);

  Collection<PodInfo> pods(String namespace);

  /** Every Pod of the view (NetworkPolicy selectors that span namespaces read them). */
  Collection<PodInfo> allPods();

  /** Null when unknown. */
  @Nullable PodInfo pod(String namespace, String name);

  Collection<ServerInfo> servers(String namespace);

  /** Null when unknown. */
  @Nullable ServiceInfo service(String namespace, String name);

  Collection<EndpointSliceInfo> slices(String namespace, String serviceName);

  /** The Pod with this IP (not host-network), or null. */
  @Nullable PodInfo podByIp(String ip);

  /** The Service with this cluster IP, or null. */
  @Nullable ServiceInfo serviceByClusterIp(String ip);

  /**
   * The NetworkPolicies of this view, ready to evaluate (docs/design/networkpolicy.md); {@link
   * NetworkPolicies#NONE} when there are none.
   */
  default NetworkPolicies networkPolicies() {
    return NetworkPolicies.NONE;
  }
}
