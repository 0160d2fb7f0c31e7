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
import dev.portolan.policy.model.ServerInfo;
import dev.portolan.policy.model.TokenReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Effective inbound protocol of (pod, port) (docs/design/sources-and-precedence.md, inbound): skip,
 * Server, Pod annotation, Namespace annotation (read live), defaults (which apply inbound, unlike
 * Linkerd). First rule wins.
 */
public final class InboundResolver {
  /** Oldest first, then by name: the oldest Server wins and the others are shadowed. */
  static final Comparator<ServerInfo> SERVER_ORDER =
      Comparator.comparing(
              ServerInfo::created,
              Comparator.nullsLast(Comparator.<java.time.Instant>naturalOrder()))
          .thenComparing(ServerInfo::name);

  private final MeshSettings settings;

  public InboundResolver(MeshSettings settings) {
    this.settings = settings;
  }

  public EffectiveProtocol resolve(ClusterView view, PodInfo pod, int port) {
    List<TokenReport> reports = new ArrayList<>();

    String skipRaw = pod.annotations().get(Annotations.SKIP_INBOUND_PORTS);
    if (skipRaw != null) {
      ParsedPorts skip = parse(pod.ref(), Annotations.SKIP_INBOUND_PORTS, skipRaw, pod, reports);
      if (skip.ports().contains(port)) {
        return new EffectiveProtocol(
            Protocol.OPAQUE, new Provenance.Skip(pod.ref(), skipRaw), true, List.of(), reports);
      }
    }
    EffectiveProtocol declared = declared(view, pod, port, reports);
    if (declared != null) {
      return declared;
    }
    NamespaceInfo ns = view.namespace(pod.namespace());
    String nsRaw = ns == null ? null : ns.annotations().get(Annotations.OPAQUE_PORTS);
    if (ns != null && nsRaw != null) {
      return fromAnnotation(ns.ref(), nsRaw, pod, port, reports);
    }
    return defaults(port, reports);
  }

  /**
   * The Pod's own declaration (rules 2 and 3: a Server or the Pod's annotation), or null when
   * neither applies. Service opacity derives from backends through this (Service rule 4 of
   * docs/design/sources-and-precedence.md).
   */
  public @Nullable EffectiveProtocol declared(
      ClusterView view, PodInfo pod, int port, List<TokenReport> reports) {
    List<ServerInfo> matching = new ArrayList<>();
    for (ServerInfo s : view.servers(pod.namespace())) {
      if (s.selects(pod, port)) {
        matching.add(s);
      }
    }
    if (!matching.isEmpty()) {
      matching.sort(SERVER_ORDER);
      ServerInfo winner = matching.getFirst();
      List<ObjectRef> shadowed = new ArrayList<>();
      for (int i = 1; i < matching.size(); i++) {
        shadowed.add(matching.get(i).ref());
      }
      Protocol protocol = serverProtocol(winner.proxyProtocol());
      String timeoutRaw = winner.annotations().get(Annotations.DETECT_TIMEOUT);
      String applied = null;
      if (timeoutRaw != null) {
        Duration timeout = ServerTimeout.check(winner, protocol, timeoutRaw, reports);
        if (timeout != null) {
          protocol = new Protocol.Detect(timeout);
          applied = timeoutRaw.strip();
        }
      }
      return new EffectiveProtocol(
          protocol,
          new Provenance.ServerRule(winner.ref(), winner.proxyProtocol(), applied),
          false,
          shadowed,
          reports);
    }
    String podRaw = pod.annotations().get(Annotations.OPAQUE_PORTS);
    if (podRaw != null) {
      return fromAnnotation(pod.ref(), podRaw, pod, port, reports);
    }
    return null;
  }

  private EffectiveProtocol fromAnnotation(
      ObjectRef owner, String raw, PodInfo pod, int port, List<TokenReport> reports) {
    ParsedPorts parsed = parse(owner, Annotations.OPAQUE_PORTS, raw, pod, reports);
    Protocol p = parsed.ports().contains(port) ? Protocol.OPAQUE : detect();
    return new EffectiveProtocol(
        p,
        new Provenance.Annotation(owner, Annotations.OPAQUE_PORTS, raw),
        false,
        List.of(),
        reports);
  }

  private EffectiveProtocol defaults(int port, List<TokenReport> reports) {
    Protocol p = settings.defaultOpaquePorts().contains(port) ? Protocol.OPAQUE : detect();
    return new EffectiveProtocol(
        p,
        new Provenance.Default("defaultOpaquePorts", settings.defaultOpaquePortsRaw()),
        false,
        List.of(),
        reports);
  }

  private Protocol.Detect detect() {
    return new Protocol.Detect(settings.detectTimeout());
  }

  /** Names resolve against the Pod's container ports, also for the Namespace's annotation. */
  private static ParsedPorts parse(
      ObjectRef owner, String field, String raw, PodInfo pod, List<TokenReport> reports) {
    ParsedPorts parsed = PortListParser.parse(raw, pod.portNames());
    for (var t : parsed.invalid()) {
      reports.add(new TokenReport(owner, "metadata.annotations[" + field + "]", t));
    }
    return parsed;
  }

  /**
   * Inbound rule 2 (docs/design/sources-and-precedence.md): unknown or absent → Detect; names are
   * case-insensitive as Linkerd accepts them.
   */
  Protocol serverProtocol(@Nullable String proxyProtocol) {
    if (proxyProtocol == null) {
      return detect();
    }
    return switch (proxyProtocol.toLowerCase(java.util.Locale.ROOT)) {
      case "http/1" -> Protocol.HTTP1;
      case "http/2" -> Protocol.HTTP2;
      case "grpc" -> Protocol.GRPC;
      case "opaque" -> Protocol.OPAQUE;
      case "tls" -> Protocol.TLS;
      default -> detect();
    };
  }
}
