package dev.portolan.policy.resolve;

import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.ServiceInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The one resolver: every answer about a port (inbound policy, endpoint hints, profiles, explain)
 * comes from here, over one snapshot, with provenance. Pure: no I/O, no framework types.
 */
public final class Resolver {
  private final MeshSettings settings;
  private final InboundResolver inbound;
  private final ServiceResolver services;
  private final EndpointResolver endpoints;

  public Resolver(MeshSettings settings, OpaqueTransportPolicy transportPolicy) {
    this.settings = settings;
    this.inbound = new InboundResolver(settings);
    this.services = new ServiceResolver(settings, inbound);
    this.endpoints = new EndpointResolver(settings, inbound, transportPolicy);
  }

  public Resolver(MeshSettings settings) {
    this(settings, OpaqueTransportPolicy.ALWAYS);
  }

  public MeshSettings settings() {
    return settings;
  }

  /** The inbound rules of (pod, port): docs/design/sources-and-precedence.md. */
  public EffectiveProtocol inbound(ClusterView view, PodInfo pod, int port) {
    return inbound.resolve(view, pod, port);
  }

  /** The Service rules of (service, port): docs/design/sources-and-precedence.md. */
  public EffectiveProtocol service(ClusterView view, ServiceInfo svc, int port) {
    return services.resolve(view, svc, svc.port(port), port);
  }

  /** Endpoints of a Service port for Destination.Get; unknown Service → not existing. */
  public EndpointSet endpoints(
      ClusterView view, String namespace, String name, int port, ClientContext client) {
    ServiceInfo svc = view.service(namespace, name);
    if (svc != null && svc.isExternalName()) {
      throw new BadRequestException(
          "Service " + namespace + "/" + name + " is of type ExternalName: it has no endpoints");
    }
    return endpoints.resolve(view, svc, port, client);
  }

  /**
   * GetProfile (docs/design/streams.md): a Service name, a cluster IP, a pod IP, or anything else.
   */
  public Profile profile(ClusterView view, Authority authority, ClientContext client) {
    int port = authority.port();
    if (authority.isIp()) {
      PodInfo pod = view.podByIp(authority.host());
      if (pod != null) {
        Endpoint e = endpoints.endpoint(view, pod, authority.host(), port, client);
        // an endpoint of a known Pod always carries the Pod's inbound decision
        return new Profile("", Objects.requireNonNull(e.protocol()), e, pod.ref());
      }
      ServiceInfo svc = view.serviceByClusterIp(authority.host());
      if (svc != null) {
        return serviceProfile(view, svc, port);
      }
      return new Profile("", services.unknownDestination(port), null, null);
    }
    Authority.ServiceName sn = authority.serviceName(settings.clusterDomain());
    if (sn == null) {
      return new Profile("", services.unknownDestination(port), null, null);
    }
    ServiceInfo svc = view.service(sn.namespace(), sn.name());
    if (svc == null) {
      return new Profile(sn.fqn(), services.unknownDestination(port), null, null);
    }
    return serviceProfile(view, svc, port);
  }

  private Profile serviceProfile(ClusterView view, ServiceInfo svc, int port) {
    if (svc.isExternalName()) {
      throw new BadRequestException(
          "Service " + svc.namespace() + "/" + svc.name() + " is of type ExternalName");
    }
    String fqn = svc.name() + "." + svc.namespace() + ".svc." + settings.clusterDomain();
    return new Profile(fqn, service(view, svc, port), null, svc.ref());
  }

  /** Every TCP container port of the Pod (plus {@code extraPort} if > 0), explained. */
  public List<PortExplanation> explainPod(ClusterView view, PodInfo pod, int onlyPort) {
    TreeSet<Integer> ports = new TreeSet<>();
    if (onlyPort > 0) {
      ports.add(onlyPort);
    } else {
      for (ContainerPort cp : pod.ports()) {
        if (cp.isTcp()) {
          ports.add(cp.port());
        }
      }
    }
    List<PortExplanation> out = new ArrayList<>();
    for (int p : ports) {
      out.add(new PortExplanation(p, Integer.toString(p), inbound(view, pod, p)));
    }
    return out;
  }

  /** Every port of the Service (or just {@code onlyPort} if > 0), explained. */
  public List<PortExplanation> explainService(ClusterView view, ServiceInfo svc, int onlyPort) {
    List<PortExplanation> out = new ArrayList<>();
    for (var sp : svc.ports()) {
      if (onlyPort <= 0 || sp.port() == onlyPort) {
        out.add(new PortExplanation(sp.port(), sp.targetPort(), service(view, svc, sp.port())));
      }
    }
    if (onlyPort > 0 && out.isEmpty()) {
      out.add(
          new PortExplanation(onlyPort, Integer.toString(onlyPort), service(view, svc, onlyPort)));
    }
    return out;
  }
}
