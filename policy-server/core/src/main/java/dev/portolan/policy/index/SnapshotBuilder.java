package dev.portolan.policy.index;

import dev.portolan.policy.model.EndpointSliceInfo;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.model.ServerInfo;
import dev.portolan.policy.model.ServiceInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Applies a batch of changes to a snapshot, copying only what the batch touches: the namespaces it
 * changes and, when IPs move, the IP indexes. Single-threaded: the index writer owns it.
 */
public final class SnapshotBuilder {
  private final Snapshot base;
  private final Map<String, MutableNamespace> touched = new HashMap<>();
  // null until the batch changes them (then a copy of the base's, changed in place)
  private @Nullable Map<String, NamespaceInfo> namespaceObjects;
  private @Nullable Map<String, Resource.Key> podsByIp;
  private @Nullable Map<String, Resource.Key> servicesByIp;
  private final Set<String> changedNamespaces = new HashSet<>();
  private final Set<String> changedIps = new HashSet<>();
  private boolean clients;

  public SnapshotBuilder(Snapshot base) {
    this.base = base;
  }

  public SnapshotBuilder apply(Change change) {
    switch (change) {
      case Change.Upsert u -> upsert(u.resource());
      case Change.Delete d -> delete(d.key());
    }
    return this;
  }

  public SnapshotBuilder applyAll(Iterable<Change> changes) {
    for (Change c : changes) {
      apply(c);
    }
    return this;
  }

  public ChangeSet changes() {
    return new ChangeSet(changedNamespaces, changedIps, clients);
  }

  public Snapshot build() {
    if (touched.isEmpty() && namespaceObjects == null && podsByIp == null && servicesByIp == null) {
      return base;
    }
    Map<String, NamespaceState> states = new HashMap<>(base.namespaceStates());
    for (var e : touched.entrySet()) {
      NamespaceState s = e.getValue().freeze();
      if (s.isEmpty()) {
        states.remove(e.getKey());
      } else {
        states.put(e.getKey(), s);
      }
    }
    return new Snapshot(
        base.version() + 1,
        namespaceObjects != null ? Map.copyOf(namespaceObjects) : base.namespaceObjects(),
        Collections.unmodifiableMap(states),
        podsByIp != null ? Collections.unmodifiableMap(podsByIp) : base.podsByIp(),
        servicesByIp != null ? Collections.unmodifiableMap(servicesByIp) : base.servicesByIp(),
        base.networkPoliciesForSuccessor());
  }

  private void upsert(Resource r) {
    changedNamespaces.add(r instanceof NamespaceInfo n ? n.name() : r.namespace());
    switch (r) {
      case NamespaceInfo n -> {
        NamespaceInfo old = namespaceObjects().put(n.name(), n);
        clients |= old == null || !old.labels().equals(n.labels());
      }
      case PodInfo p -> {
        PodInfo old = ns(p.namespace()).pods.put(p.name(), p);
        clients |=
            old == null
                || !old.labels().equals(p.labels())
                || !old.podIps().equals(p.podIps())
                || !Objects.equals(old.hostIp(), p.hostIp())
                || !old.ports().equals(p.ports());
        reindexPod(old, p);
      }
      case ServiceInfo s -> {
        ServiceInfo old = ns(s.namespace()).services.put(s.name(), s);
        reindexService(old, s);
      }
      case ServerInfo s -> ns(s.namespace()).servers.put(s.name(), s);
      case EndpointSliceInfo s -> ns(s.namespace()).slices.put(s.name(), s);
      case NetworkPolicyInfo np -> {
        ns(np.namespace()).networkPolicies.put(np.name(), np);
        clients = true;
      }
    }
  }

  private void delete(Resource.Key key) {
    changedNamespaces.add(key.kind() == Resource.Kind.NAMESPACE ? key.name() : key.namespace());
    clients |=
        switch (key.kind()) {
          case NAMESPACE, POD, NETWORK_POLICY -> true;
          default -> false;
        };
    switch (key.kind()) {
      case NAMESPACE -> namespaceObjects().remove(key.name());
      case POD -> reindexPod(ns(key.namespace()).pods.remove(key.name()), null);
      case SERVICE -> reindexService(ns(key.namespace()).services.remove(key.name()), null);
      case SERVER -> ns(key.namespace()).servers.remove(key.name());
      case ENDPOINT_SLICE -> ns(key.namespace()).slices.remove(key.name());
      case NETWORK_POLICY -> ns(key.namespace()).networkPolicies.remove(key.name());
    }
  }

  private void reindexPod(@Nullable PodInfo old, @Nullable PodInfo now) {
    List<String> oldIps = old == null ? List.of() : indexableIps(old);
    List<String> newIps = now == null ? List.of() : indexableIps(now);
    if (oldIps.equals(newIps)) {
      return; // the index maps IPs to keys: an edit that keeps the IPs touches nothing
    }
    if (podsByIp == null) {
      podsByIp = new HashMap<>(base.podsByIp());
    }
    move(podsByIp, old == null ? null : old.key(), oldIps, now == null ? null : now.key(), newIps);
  }

  private void reindexService(@Nullable ServiceInfo old, @Nullable ServiceInfo now) {
    List<String> oldIps = old == null ? List.of() : old.clusterIps();
    List<String> newIps = now == null ? List.of() : now.clusterIps();
    if (oldIps.equals(newIps)) {
      return;
    }
    if (servicesByIp == null) {
      servicesByIp = new HashMap<>(base.servicesByIp());
    }
    move(
        servicesByIp,
        old == null ? null : old.key(),
        oldIps,
        now == null ? null : now.key(),
        newIps);
  }

  private void move(
      Map<String, Resource.Key> index,
      Resource.@Nullable Key oldKey,
      List<String> oldIps,
      Resource.@Nullable Key newKey,
      List<String> newIps) {
    for (String ip : oldIps) {
      // Only drop the mapping if it is still ours: a newer object may have taken the IP.
      if (!newIps.contains(ip) && Objects.equals(oldKey, index.get(ip))) {
        index.remove(ip);
        changedIps.add(ip);
      }
    }
    for (String ip : newIps) {
      if (!Objects.equals(newKey, index.put(ip, newKey))) {
        changedIps.add(ip);
      }
    }
  }

  /** Host-network Pods share the node's IP: they never own it in the index. */
  private static List<String> indexableIps(PodInfo p) {
    List<String> out = new ArrayList<>(p.podIps().size());
    for (String ip : p.podIps()) {
      if (!ip.equals(p.hostIp())) {
        out.add(ip);
      }
    }
    return out;
  }

  private Map<String, NamespaceInfo> namespaceObjects() {
    if (namespaceObjects == null) {
      namespaceObjects = new HashMap<>(base.namespaceObjects());
    }
    return namespaceObjects;
  }

  private MutableNamespace ns(String name) {
    return touched.computeIfAbsent(
        name,
        n -> new MutableNamespace(base.namespaceStates().getOrDefault(n, NamespaceState.EMPTY)));
  }

  /** A namespace's maps, copied once per batch on first touch. */
  private static final class MutableNamespace {
    final Map<String, PodInfo> pods;
    final Map<String, ServiceInfo> services;
    final Map<String, ServerInfo> servers;
    final Map<String, EndpointSliceInfo> slices;
    final Map<String, NetworkPolicyInfo> networkPolicies;

    MutableNamespace(NamespaceState s) {
      pods = new HashMap<>(s.pods());
      services = new HashMap<>(s.services());
      servers = new HashMap<>(s.servers());
      slices = new HashMap<>(s.slices());
      networkPolicies = new HashMap<>(s.networkPolicies());
    }

    NamespaceState freeze() {
      Map<String, List<EndpointSliceInfo>> byService = new HashMap<>();
      for (EndpointSliceInfo s : slices.values()) {
        if (s.serviceName() != null) {
          byService.computeIfAbsent(s.serviceName(), k -> new ArrayList<>()).add(s);
        }
      }
      byService.replaceAll((k, v) -> List.copyOf(v));
      return new NamespaceState(
          Collections.unmodifiableMap(pods),
          Collections.unmodifiableMap(services),
          Collections.unmodifiableMap(servers),
          Collections.unmodifiableMap(slices),
          Collections.unmodifiableMap(byService),
          Collections.unmodifiableMap(networkPolicies));
    }
  }
}
