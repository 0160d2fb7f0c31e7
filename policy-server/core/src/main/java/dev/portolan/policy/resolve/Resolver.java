package dev.portolan.policy.resolve;

import dev.portolan.policy.model.AuthzSettings;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.InboundAuthz;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.ServiceInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The one resolver: every answer about a port (inbound policy, endpoint hints, profiles, explain)
 * comes from here, over one snapshot, with provenance. Pure: no I/O, no framework types.
 */
public final class Resolver {
  private final MeshSettings settings;
  private final InboundResolver inbound;
  private final AuthzResolver authz;
  private final ServiceResolver services;
  private final EndpointResolver endpoints;
  private final OpaqueTransportPolicy transportPolicy;

  public Resolver(MeshSettings settings, OpaqueTransportPolicy transportPolicy) {
    this(settings, transportPolicy, AuthzSettings.defaults());
  }

  public Resolver(
      MeshSettings settings, OpaqueTransportPolicy transportPolicy, AuthzSettings authz) {
    this.settings = settings;
    this.authz = new AuthzResolver(authz);
    this.inbound = new InboundResolver(settings);
    this.services = new ServiceResolver(settings, inbound);
    this.endpoints = new EndpointResolver(settings, inbound);
    this.transportPolicy = transportPolicy;
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

  /** Who may connect to (pod, port): docs/design/inbound.md. */
  public InboundAuthz inboundAuthz(ClusterView view, PodInfo pod, int port) {
    return authz.resolve(view, pod, port);
  }

  /** The Service rules of (service, port): docs/design/sources-and-precedence.md. */
  public EffectiveProtocol service(ClusterView view, ServiceInfo svc, int port) {
    return services.resolve(view, svc, svc.port(port), port);
  }

  /** The class whose answers a client gets (docs/design/networkpolicy.md). */
  public ClientClass classify(ClientContext client) {
    return transportPolicy.classify(client);
  }

  /**
   * What decides a class's overlay in {@code view}: classes with equal keys share one (see {@link
   * OpaqueTransportPolicy#evaluationKey}).
   */
  public Object evaluationKey(ClusterView view, ClientClass client) {
    return transportPolicy.evaluationKey(view, client);
  }

  /** Whether answers can differ by client (the NetworkPolicy-aware rewrite is on). */
  public boolean variesByClient() {
    return transportPolicy != OpaqueTransportPolicy.ALWAYS;
  }

  /**
   * Endpoints of a Service port for Destination.Get, the same for every client (see {@link
   * #overlay}); unknown Service → not existing.
   */
  public EndpointSet endpoints(ClusterView view, String namespace, String name, int port) {
    ServiceInfo svc = view.service(namespace, name);
    if (svc != null && svc.isExternalName()) {
      throw new BadRequestException(
          "Service " + namespace + "/" + name + " is of type ExternalName: it has no endpoints");
    }
    return endpoints.resolve(view, svc, port);
  }

  /** The endpoints as one client is told them: the shared answer with its class's overlay. */
  public EndpointSet endpoints(
      ClusterView view, String namespace, String name, int port, ClientContext client) {
    EndpointSet shared = endpoints(view, namespace, name, port);
    return overlay(view, shared.endpoints(), classify(client)).apply(shared);
  }

  /**
   * What clients of {@code client} are told differently about {@code endpoints}: the addresses
   * whose rewrite to the inbound port the transport policy withholds from them.
   */
  public Overlay overlay(ClusterView view, List<Endpoint> endpoints, ClientClass client) {
    if (transportPolicy == OpaqueTransportPolicy.ALWAYS) {
      return Overlay.NONE; // nothing is withheld from anyone: skip the walk
    }
    Set<String> withheld = null;
    for (Endpoint e : endpoints) {
      if (e.hint() == null || e.hint().opaqueTransportPort() == 0 || e.pod() == null) {
        continue;
      }
      PodInfo pod = view.pod(e.pod().namespace(), e.pod().name());
      if (pod != null
          && !transportPolicy.rewrite(
              view, client, pod, e.port(), e.hint().opaqueTransportPort())) {
        if (withheld == null) {
          withheld = new HashSet<>();
        }
        withheld.add(e.address());
      }
    }
    return withheld == null ? Overlay.NONE : new Overlay(withheld);
  }

  /**
   * GetProfile (docs/design/streams.md): a Service name, a cluster IP, a pod IP, or anything else;
   * the same for every client (a pod IP's endpoint carries the shared rewrite, see {@link
   * #overlay}).
   */
  public Profile profile(ClusterView view, Authority authority) {
    int port = authority.port();
    if (authority.isIp()) {
      PodInfo pod = view.podByIp(authority.host());
      if (pod != null) {
        Endpoint e = endpoints.endpoint(view, pod, authority.host(), port);
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

  /** The profile as one client is told it: the shared answer with its class's overlay. */
  public Profile profile(ClusterView view, Authority authority, ClientContext client) {
    Profile shared = profile(view, authority);
    if (shared.endpoint() == null) {
      return shared;
    }
    return overlay(view, List.of(shared.endpoint()), classify(client)).apply(shared);
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
      out.add(
          new PortExplanation(
              p, Integer.toString(p), inbound(view, pod, p), inboundAuthz(view, pod, p)));
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
