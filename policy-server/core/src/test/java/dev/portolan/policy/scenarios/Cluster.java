package dev.portolan.policy.scenarios;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.index.SnapshotBuilder;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.EndpointSliceInfo;
import dev.portolan.policy.model.HttpProbe;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.OwnerRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.model.ServerInfo;
import dev.portolan.policy.model.ServiceInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Fixture builders for scenario tests; snapshots are built by the real SnapshotBuilder. */
final class Cluster {
  static final String NS = "ns";

  private Cluster() {}

  static Snapshot of(Resource... objects) {
    return with(Snapshot.EMPTY, objects);
  }

  static Snapshot with(Snapshot base, Resource... objects) {
    SnapshotBuilder b = new SnapshotBuilder(base);
    for (Resource r : objects) {
      b.apply(new Change.Upsert(r));
    }
    return b.build();
  }

  static Snapshot without(Snapshot base, Resource.Key key) {
    return new SnapshotBuilder(base).apply(new Change.Delete(key)).build();
  }

  static PodBuilder pod(String name) {
    return new PodBuilder(name);
  }

  static NamespaceInfo namespace(String name, String opaquePorts) {
    Map<String, String> a = new HashMap<>();
    if (opaquePorts != null) {
      a.put("config.linkerd.io/opaque-ports", opaquePorts);
    }
    return new NamespaceInfo(name, Map.of(), a);
  }

  static ServerInfo server(
      String name, Map<String, String> selector, String port, String protocol, String created) {
    return server(NS, name, selector, port, protocol, created);
  }

  static ServerInfo server(
      String ns,
      String name,
      Map<String, String> selector,
      String port,
      String protocol,
      String created) {
    return new ServerInfo(
        ns,
        name,
        LabelSelector.of(selector),
        port,
        protocol,
        created == null ? null : Instant.parse(created));
  }

  static ServiceBuilder service(String name) {
    return new ServiceBuilder(name);
  }

  static final class PodBuilder {
    private String ns = NS;
    private final String name;
    private final Map<String, String> labels = new LinkedHashMap<>();
    private final Map<String, String> annotations = new LinkedHashMap<>();
    private final List<ContainerPort> ports = new ArrayList<>();
    private String sa = "default";
    private String ip = "10.1.0.1";
    private boolean ready = true;
    private boolean meshed = true;
    private String inboundAddr;
    private OwnerRef owner;
    private final List<HttpProbe> probes = new ArrayList<>();

    PodBuilder(String name) {
      this.name = name;
    }

    PodBuilder ns(String v) {
      ns = v;
      return this;
    }

    PodBuilder label(String k, String v) {
      labels.put(k, v);
      return this;
    }

    PodBuilder annotate(String k, String v) {
      annotations.put(k, v);
      return this;
    }

    PodBuilder opaquePorts(String v) {
      return annotate("config.linkerd.io/opaque-ports", v);
    }

    PodBuilder port(String portName, int port) {
      ports.add(new ContainerPort(portName, port, "TCP"));
      return this;
    }

    PodBuilder sa(String v) {
      sa = v;
      return this;
    }

    PodBuilder ip(String v) {
      ip = v;
      return this;
    }

    PodBuilder notReady() {
      ready = false;
      return this;
    }

    PodBuilder unmeshed() {
      meshed = false;
      return this;
    }

    PodBuilder inboundListenAddr(String v) {
      inboundAddr = v;
      return this;
    }

    /** A kubelet HTTP probe (liveness, readiness or startup) of {@code path} on {@code port}. */
    PodBuilder probe(int port, String path) {
      probes.add(new HttpProbe(port, path));
      return this;
    }

    PodBuilder owner(String kind, String ownerName) {
      owner = new OwnerRef(kind, ownerName);
      return this;
    }

    PodInfo build() {
      Map<String, String> l = new LinkedHashMap<>(labels);
      if (meshed) {
        l.put("linkerd.io/control-plane-ns", "portolan");
      }
      return new PodInfo(
          ns,
          name,
          l,
          annotations,
          ports,
          sa,
          List.of(ip),
          "192.0.2.1",
          "node-1",
          "Running",
          ready,
          meshed,
          inboundAddr,
          owner,
          probes);
    }
  }

  static final class ServiceBuilder {
    private String ns = NS;
    private final String name;
    private final Map<String, String> annotations = new LinkedHashMap<>();
    private Map<String, String> selector;
    private final List<ServiceInfo.ServicePort> ports = new ArrayList<>();
    private String clusterIp = "10.96.0.1";
    private String type;

    ServiceBuilder(String name) {
      this.name = name;
    }

    ServiceBuilder ns(String v) {
      ns = v;
      return this;
    }

    ServiceBuilder selector(String k, String v) {
      selector = Map.of(k, v);
      return this;
    }

    ServiceBuilder opaquePorts(String v) {
      annotations.put("config.linkerd.io/opaque-ports", v);
      return this;
    }

    ServiceBuilder port(String portName, int port, String target) {
      ports.add(new ServiceInfo.ServicePort(portName, port, target, null, "TCP"));
      return this;
    }

    ServiceBuilder port(String portName, int port, String target, String appProtocol) {
      ports.add(new ServiceInfo.ServicePort(portName, port, target, appProtocol, "TCP"));
      return this;
    }

    ServiceBuilder clusterIp(String v) {
      clusterIp = v;
      return this;
    }

    ServiceBuilder externalName() {
      type = "ExternalName";
      clusterIp = null;
      return this;
    }

    ServiceInfo build() {
      return new ServiceInfo(
          ns,
          name,
          annotations,
          selector,
          ports,
          clusterIp == null ? List.of() : List.of(clusterIp),
          type);
    }
  }

  static EndpointSliceInfo slice(
      String name,
      String service,
      String portName,
      int port,
      String podName,
      String ip,
      boolean ready) {
    return new EndpointSliceInfo(
        NS,
        name,
        service,
        List.of(
            new EndpointSliceInfo.Endpoint(List.of(ip), ready, ready, false, podName, null, null)),
        List.of(new EndpointSliceInfo.SlicePort(portName, port, "TCP")));
  }
}
