package dev.portolan.policy.index;

import dev.portolan.policy.model.EndpointSliceInfo;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.model.ServerInfo;
import dev.portolan.policy.model.ServiceInfo;
import dev.portolan.policy.netpol.NetworkPolicies;
import dev.portolan.policy.resolve.ClusterView;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One immutable, consistent state of the cluster. Built only by {@link SnapshotBuilder} on the
 * index's writer thread; read by any thread.
 */
public final class Snapshot implements ClusterView {
  public static final Snapshot EMPTY =
      new Snapshot(0, Map.of(), Map.of(), Map.of(), Map.of(), null);

  private final long version;
  private final Map<String, NamespaceInfo> namespaceObjects;
  private final Map<String, NamespaceState> namespaces;
  private final Map<String, Resource.Key> podsByIp;
  private final Map<String, Resource.Key> servicesByIp;
  // Built on first use; a race builds two equal objects, either is fine.
  private volatile @Nullable NetworkPolicies networkPolicies;
  // The NetworkPolicies of an earlier snapshot, whose memoised client classes the ones of this
  // snapshot take over; dropped once those are built, so that snapshots do not chain.
  private volatile @Nullable NetworkPolicies predecessor;

  Snapshot(
      long version,
      Map<String, NamespaceInfo> namespaceObjects,
      Map<String, NamespaceState> namespaces,
      Map<String, Resource.Key> podsByIp,
      Map<String, Resource.Key> servicesByIp,
      @Nullable NetworkPolicies predecessor) {
    this.version = version;
    this.predecessor = predecessor;
    this.namespaceObjects = namespaceObjects;
    this.namespaces = namespaces;
    this.podsByIp = podsByIp;
    this.servicesByIp = servicesByIp;
  }

  public long version() {
    return version;
  }

  Map<String, NamespaceInfo> namespaceObjects() {
    return namespaceObjects;
  }

  Map<String, NamespaceState> namespaceStates() {
    return namespaces;
  }

  Map<String, Resource.Key> podsByIp() {
    return podsByIp;
  }

  Map<String, Resource.Key> servicesByIp() {
    return servicesByIp;
  }

  private NamespaceState ns(String name) {
    return namespaces.getOrDefault(name, NamespaceState.EMPTY);
  }

  @Override
  public @Nullable NamespaceInfo namespace(String name) {
    return namespaceObjects.get(name);
  }

  @Override
  public Collection<PodInfo> pods(String namespace) {
    return ns(namespace).pods().values();
  }

  @Override
  public @Nullable PodInfo pod(String namespace, String name) {
    return ns(namespace).pods().get(name);
  }

  @Override
  public Collection<ServerInfo> servers(String namespace) {
    return ns(namespace).servers().values();
  }

  @Override
  public @Nullable ServiceInfo service(String namespace, String name) {
    return ns(namespace).services().get(name);
  }

  @Override
  public Collection<EndpointSliceInfo> slices(String namespace, String serviceName) {
    return ns(namespace).slicesByService().getOrDefault(serviceName, List.of());
  }

  @Override
  public @Nullable PodInfo podByIp(String ip) {
    Resource.Key k = podsByIp.get(ip);
    return k == null ? null : pod(k.namespace(), k.name());
  }

  @Override
  public @Nullable ServiceInfo serviceByClusterIp(String ip) {
    Resource.Key k = servicesByIp.get(ip);
    return k == null ? null : service(k.namespace(), k.name());
  }

  /** Every Pod of the snapshot, namespace by namespace (for reports over the whole cluster). */
  @Override
  public List<PodInfo> allPods() {
    List<PodInfo> out = new ArrayList<>();
    for (NamespaceState s : namespaces.values()) {
      out.addAll(s.pods().values());
    }
    return out;
  }

  /**
   * The snapshot's NetworkPolicies with what evaluating them needs (namespace labels, the nodes'
   * addresses), built once per snapshot on first use; {@link NetworkPolicies#NONE} without any.
   */
  @Override
  public NetworkPolicies networkPolicies() {
    NetworkPolicies np = networkPolicies;
    if (np == null) {
      List<NetworkPolicyInfo> all = new ArrayList<>();
      for (NamespaceState s : namespaces.values()) {
        all.addAll(s.networkPolicies().values());
      }
      if (all.isEmpty()) {
        np = NetworkPolicies.NONE;
      } else {
        Set<String> nodes = new HashSet<>();
        int pods = 0;
        for (NamespaceState s : namespaces.values()) {
          pods += s.pods().size();
          for (PodInfo p : s.pods().values()) {
            if (p.hostIp() != null) {
              nodes.add(p.hostIp());
            }
          }
        }
        np = NetworkPolicies.of(all, namespaceObjects::get, nodes, predecessor, pods);
      }
      networkPolicies = np;
      predecessor = null;
    }
    return np;
  }

  /**
   * What the next snapshot's NetworkPolicies may take memoised client classes from: this snapshot's
   * when built and not empty, else the ones this snapshot would have taken them from.
   */
  @Nullable NetworkPolicies networkPoliciesForSuccessor() {
    NetworkPolicies np = networkPolicies;
    return np != null && !np.isEmpty() ? np : predecessor;
  }

  /** Object counts by kind, for metrics. */
  public Sizes sizes() {
    int pods = 0;
    int services = 0;
    int servers = 0;
    int slices = 0;
    int netpols = 0;
    for (NamespaceState s : namespaces.values()) {
      pods += s.pods().size();
      services += s.services().size();
      servers += s.servers().size();
      slices += s.slices().size();
      netpols += s.networkPolicies().size();
    }
    return new Sizes(namespaceObjects.size(), pods, services, slices, servers, netpols);
  }

  /** Object counts by kind. */
  public record Sizes(
      int namespaces,
      int pods,
      int services,
      int endpointSlices,
      int servers,
      int networkPolicies) {}
}
