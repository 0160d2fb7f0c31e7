package dev.portolan.policy.resolve;

import dev.portolan.policy.model.Annotations;
import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.ParsedPorts;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.PortListParser;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.model.Provenance;
import dev.portolan.policy.model.ServiceInfo;
import dev.portolan.policy.model.ServiceInfo.ServicePort;
import dev.portolan.policy.model.TokenReport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Effective protocol of (service, port) (docs/design/sources-and-precedence.md, Service):
 * appProtocol, Service annotation, Namespace annotation, derived from the backends, defaults. First
 * rule wins.
 */
public final class ServiceResolver {
  private final MeshSettings settings;
  private final InboundResolver inbound;

  public ServiceResolver(MeshSettings settings, InboundResolver inbound) {
    this.settings = settings;
    this.inbound = inbound;
  }

  /**
   * @param servicePort the Service port, or null when the requested port is not one of its ports
   *     (then the port is its own target port, as Linkerd does)
   */
  public EffectiveProtocol resolve(
      ClusterView view, ServiceInfo svc, @Nullable ServicePort servicePort, int port) {
    ServicePort sp =
        servicePort != null
            ? servicePort
            : new ServicePort("", port, Integer.toString(port), null, "TCP");
    List<TokenReport> reports = new ArrayList<>();

    if (sp.appProtocol() != null && !sp.appProtocol().isBlank()) {
      return new EffectiveProtocol(
          appProtocol(sp.appProtocol()),
          new Provenance.AppProtocol(svc.ref(), sp.port(), sp.appProtocol()),
          false,
          List.of(),
          reports);
    }
    String svcRaw = svc.annotations().get(Annotations.OPAQUE_PORTS);
    if (svcRaw != null) {
      return fromAnnotation(svc.ref(), svcRaw, svc, sp.port(), reports);
    }
    NamespaceInfo ns = view.namespace(svc.namespace());
    String nsRaw = ns == null ? null : ns.annotations().get(Annotations.OPAQUE_PORTS);
    if (ns != null && nsRaw != null) {
      return fromAnnotation(ns.ref(), nsRaw, svc, sp.port(), reports);
    }
    EffectiveProtocol derived = derived(view, svc, sp);
    if (derived != null) {
      return derived;
    }
    int target = sp.numericTargetPort();
    boolean inDefaults =
        settings.defaultOpaquePorts().contains(sp.port())
            || (target > 0 && settings.defaultOpaquePorts().contains(target));
    return new EffectiveProtocol(
        inDefaults ? Protocol.OPAQUE : detect(),
        new Provenance.Default("defaultOpaquePorts", settings.defaultOpaquePortsRaw()),
        false,
        List.of(),
        reports);
  }

  /** The answer for an address that maps to nothing in the cluster: rule 5 on the port alone. */
  public EffectiveProtocol unknownDestination(int port) {
    return new EffectiveProtocol(
        settings.defaultOpaquePorts().contains(port) ? Protocol.OPAQUE : detect(),
        new Provenance.Default("defaultOpaquePorts", settings.defaultOpaquePortsRaw()),
        false,
        List.of(),
        List.of());
  }

  /** Rule 4: any ready selected Pod whose own Server or annotation makes the target opaque. */
  private @Nullable EffectiveProtocol derived(ClusterView view, ServiceInfo svc, ServicePort sp) {
    if (svc.selector() == null || svc.selector().isEmpty()) {
      return null;
    }
    List<PodInfo> backends = new ArrayList<>();
    for (PodInfo pod : view.pods(svc.namespace())) {
      if (pod.isReadyEndpoint() && selects(svc, pod)) {
        backends.add(pod);
      }
    }
    backends.sort(Comparator.comparing(PodInfo::name));
    for (PodInfo pod : backends) {
      int target = sp.targetPortOn(pod);
      if (target <= 0) {
        continue;
      }
      EffectiveProtocol own = inbound.declared(view, pod, target, new ArrayList<>());
      if (own != null && own.isOpaque()) {
        return new EffectiveProtocol(
            Protocol.OPAQUE,
            new Provenance.Derived(pod.ref(), target, own.provenance()),
            false,
            List.of(),
            List.of());
      }
    }
    return null;
  }

  static boolean selects(ServiceInfo svc, PodInfo pod) {
    Map<String, String> selector = svc.selector();
    if (selector == null) {
      return false; // no selector selects no Pod (callers check first)
    }
    for (var e : selector.entrySet()) {
      if (!e.getValue().equals(pod.labels().get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private EffectiveProtocol fromAnnotation(
      ObjectRef owner, String raw, ServiceInfo svc, int port, List<TokenReport> reports) {
    ParsedPorts parsed = PortListParser.parse(raw, svc.portNames());
    for (var t : parsed.invalid()) {
      reports.add(
          new TokenReport(owner, "metadata.annotations[" + Annotations.OPAQUE_PORTS + "]", t));
    }
    return new EffectiveProtocol(
        parsed.ports().contains(port) ? Protocol.OPAQUE : detect(),
        new Provenance.Annotation(owner, Annotations.OPAQUE_PORTS, raw),
        false,
        List.of(),
        reports);
  }

  /**
   * Service rule 1 (docs/design/sources-and-precedence.md): HTTP names map to codecs; every other
   * declared value is opaque.
   */
  static Protocol appProtocol(String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "http", "kubernetes.io/ws" -> Protocol.HTTP1;
      case "kubernetes.io/h2c", "h2c" -> Protocol.HTTP2;
      case "grpc" -> Protocol.GRPC;
      default -> Protocol.OPAQUE;
    };
  }

  private Protocol.Detect detect() {
    return new Protocol.Detect(settings.detectTimeout());
  }
}
