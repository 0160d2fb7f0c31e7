package dev.portolan.policy.resolve;

import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.EndpointSliceInfo;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.OwnerRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.ServiceInfo;
import dev.portolan.policy.model.ServiceInfo.ServicePort;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Endpoints of a (service, port) with their protocol hints and identities
 * (docs/design/sources-and-precedence.md, endpoints). EndpointSlices are the truth when a Service
 * has any; otherwise (manifests mode) ready selected Pods are.
 *
 * <p>The answer is the same for every client: an opaque endpoint carries the rewrite to its inbound
 * port wherever a rewrite is possible at all. What a client class is told differently is an {@link
 * Overlay} on top ({@link Resolver#overlay}).
 */
public final class EndpointResolver {
  private final MeshSettings settings;
  private final InboundResolver inbound;

  public EndpointResolver(MeshSettings settings, InboundResolver inbound) {
    this.settings = settings;
    this.inbound = inbound;
  }

  public EndpointSet resolve(ClusterView view, @Nullable ServiceInfo svc, int port) {
    if (svc == null) {
      return EndpointSet.UNKNOWN;
    }
    ServicePort sp = svc.port(port);
    if (sp == null) {
      sp = new ServicePort("", port, Integer.toString(port), null, "TCP");
    }
    Map<String, Endpoint> byAddress = new HashMap<>();
    var slices = view.slices(svc.namespace(), svc.name());
    if (!slices.isEmpty()) {
      fromSlices(view, svc, sp, slices, byAddress);
    } else if (svc.selector() != null && !svc.selector().isEmpty()) {
      for (PodInfo pod : view.pods(svc.namespace())) {
        if (pod.isReadyEndpoint() && ServiceResolver.selects(svc, pod)) {
          int target = sp.targetPortOn(pod);
          if (target > 0) {
            Endpoint e = endpoint(view, pod, pod.podIps().getFirst(), target);
            byAddress.put(e.address(), e);
          }
        }
      }
    }
    List<Endpoint> sorted = new ArrayList<>(byAddress.values());
    sorted.sort(Comparator.comparing(Endpoint::address));
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("namespace", svc.namespace());
    labels.put("service", svc.name());
    return new EndpointSet(true, labels, sorted);
  }

  private void fromSlices(
      ClusterView view,
      ServiceInfo svc,
      ServicePort sp,
      Iterable<EndpointSliceInfo> slices,
      Map<String, Endpoint> out) {
    for (EndpointSliceInfo slice : slices) {
      int slicePort = -1;
      for (var p : slice.ports()) {
        if (p.name().equals(sp.name())) {
          slicePort = p.port();
        }
      }
      if (slicePort <= 0) {
        continue;
      }
      for (var ep : slice.endpoints()) {
        if (!ep.isReady()) {
          continue;
        }
        for (String ip : ep.addresses()) {
          PodInfo pod =
              ep.targetPodName() != null ? view.pod(svc.namespace(), ep.targetPodName()) : null;
          if (pod == null) {
            pod = view.podByIp(ip);
          }
          Endpoint e =
              pod != null
                  ? endpoint(view, pod, ip, slicePort)
                  : new Endpoint(ip, slicePort, null, null, null, Map.of(), null, List.of());
          out.put(e.address(), e);
        }
      }
    }
  }

  /**
   * The endpoint for a Pod address, with its hint and identity. An opaque port is rewritten to the
   * inbound port unless it is that port or the admin port; whether a client class is told so is its
   * overlay's business.
   */
  public Endpoint endpoint(ClusterView view, PodInfo pod, String ip, int port) {
    List<String> problems = new ArrayList<>();
    Map<String, String> labels = podLabels(pod);
    EffectiveProtocol protocol = inbound.resolve(view, pod, port);
    if (!pod.meshed() || protocol.skipped()) {
      return new Endpoint(ip, port, pod.ref(), null, null, labels, protocol, problems);
    }
    int inboundPort = inboundPort(pod, problems);
    Endpoint.Hint hint;
    if (protocol.isOpaque()) {
      boolean rewrite = port != settings.adminPort() && port != inboundPort;
      hint = new Endpoint.Hint(true, rewrite ? inboundPort : 0);
    } else {
      hint = new Endpoint.Hint(false, 0);
    }
    return new Endpoint(
        ip, port, pod.ref(), settings.identityOf(pod), hint, labels, protocol, problems);
  }

  /**
   * The proxy's inbound port from its listen-address env; an unparsable value never drops the
   * endpoint: it falls back to the default and is reported.
   */
  int inboundPort(PodInfo pod, List<String> problems) {
    String raw = pod.proxyInboundListenAddr();
    if (raw == null || raw.isBlank()) {
      return settings.inboundPort();
    }
    int colon = raw.lastIndexOf(':');
    String portText = colon >= 0 ? raw.substring(colon + 1).strip() : raw.strip();
    try {
      int p = Integer.parseInt(portText);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    problems.add(
        pod.ref()
            + ": proxy inbound listen address '"
            + raw
            + "' has no valid port; using "
            + settings.inboundPort());
    return settings.inboundPort();
  }

  private static Map<String, String> podLabels(PodInfo pod) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("pod", pod.name());
    labels.put("serviceaccount", pod.serviceAccount());
    OwnerRef owner = pod.owner();
    if (owner != null) {
      String kind = owner.kind();
      String name = owner.name();
      String hash = pod.labels().get("pod-template-hash");
      // A ReplicaSet named <deployment>-<pod-template-hash> belongs to a Deployment.
      if (kind.equals("ReplicaSet") && hash != null && name.endsWith("-" + hash)) {
        kind = "Deployment";
        name = name.substring(0, name.length() - hash.length() - 1);
      }
      labels.put(kind.toLowerCase(Locale.ROOT), name);
    }
    return labels;
  }
}
