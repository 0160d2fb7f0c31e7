package dev.portolan.policy.web;

import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.model.Provenance;
import dev.portolan.policy.model.TokenReport;
import dev.portolan.policy.resolve.BadRequestException;
import dev.portolan.policy.resolve.PortExplanation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * "Why is this port opaque?" for a Pod or Service: every port with its effective protocol and
 * provenance. Serves both the actuator endpoint and the portolan.v1 Explain RPC.
 */
@Component
public class Explainer {
  private final Index index;

  public Explainer(Index index) {
    this.index = index;
  }

  /** The object and its ports, or null when the object does not exist. */
  public Explanation explain(String namespace, String kind, String name, int port) {
    Snapshot s = index.snapshot();
    var resolver = index.resolver();
    return switch (kind.toLowerCase(Locale.ROOT)) {
      case "pod", "pods" -> {
        var pod = s.pod(namespace, name);
        yield pod == null
            ? null
            : new Explanation(pod.ref(), s.version(), resolver.explainPod(s, pod, port));
      }
      case "service", "services", "svc" -> {
        var svc = s.service(namespace, name);
        yield svc == null
            ? null
            : new Explanation(svc.ref(), s.version(), resolver.explainService(s, svc, port));
      }
      default -> throw new BadRequestException("kind must be pod or service, got '" + kind + "'");
    };
  }

  /** An explained object at a snapshot version. */
  public record Explanation(ObjectRef object, long version, List<PortExplanation> ports) {
    /** The JSON shape of the actuator endpoint. */
    public Map<String, Object> toJson() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("object", ref(object));
      out.put("snapshotVersion", version);
      List<Object> list = new ArrayList<>();
      for (PortExplanation p : ports) {
        list.add(port(p));
      }
      out.put("ports", list);
      return out;
    }
  }

  static Map<String, Object> port(PortExplanation p) {
    EffectiveProtocol d = p.decision();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("port", p.port());
    out.put("targetPort", p.targetPort());
    out.put("protocol", d.protocol().id());
    if (d.protocol() instanceof Protocol.Detect det) {
      out.put("detectTimeout", det.timeout().toString());
    }
    out.put("opaque", d.isOpaque());
    out.put("skipped", d.skipped());
    out.put("provenance", provenance(d.provenance()));
    out.put("shadowedServers", d.shadowed().stream().map(Explainer::ref).toList());
    out.put("invalidTokens", d.invalidTokens().stream().map(Explainer::token).toList());
    return out;
  }

  static Map<String, Object> provenance(Provenance p) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("source", p.source());
    out.put("summary", p.summary());
    switch (p) {
      case Provenance.Default d -> {
        out.put("setting", d.setting());
        out.put("value", d.value());
      }
      case Provenance.Annotation a -> {
        out.put("object", ref(a.object()));
        out.put("field", "metadata.annotations[" + a.key() + "]");
        out.put("value", a.raw());
      }
      case Provenance.Skip s -> {
        out.put("object", ref(s.pod()));
        out.put("value", s.raw());
      }
      case Provenance.ServerRule s -> {
        out.put("object", ref(s.server()));
        out.put("field", "spec.proxyProtocol");
        out.put("value", s.proxyProtocol());
      }
      case Provenance.AppProtocol a -> {
        out.put("object", ref(a.service()));
        out.put("field", "spec.ports[port=" + a.port() + "].appProtocol");
        out.put("value", a.value());
      }
      case Provenance.Derived d -> {
        out.put("object", ref(d.pod()));
        out.put("targetPort", d.targetPort());
        out.put("via", provenance(d.via()));
      }
    }
    return out;
  }

  static Map<String, Object> ref(ObjectRef r) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("kind", r.kind());
    out.put("namespace", r.namespace());
    out.put("name", r.name());
    return out;
  }

  static Map<String, Object> token(TokenReport t) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("object", ref(t.object()));
    out.put("field", t.field());
    out.put("position", t.token().position());
    out.put("token", t.token().token());
    out.put("reason", t.token().reason());
    return out;
  }
}
