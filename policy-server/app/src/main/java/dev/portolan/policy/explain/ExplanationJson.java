package dev.portolan.policy.explain;

import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.TokenReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An {@link Explanation} as the actuator's JSON (docs/api.md). Hand-built rather than the proto
 * through {@code JsonFormat}: this shape came first and differs (snapshotVersion, opaque,
 * shadowedServers, a setting for defaults, a Duration for the detect timeout), and it stays.
 */
final class ExplanationJson {
  private ExplanationJson() {}

  static Map<String, Object> of(Explanation e) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("object", ref(e.object()));
    out.put("snapshotVersion", e.version());
    List<Object> list = new ArrayList<>();
    for (Explanation.Port p : e.ports()) {
      list.add(port(p));
    }
    out.put("ports", list);
    return out;
  }

  private static Map<String, Object> port(Explanation.Port p) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("port", p.port());
    out.put("targetPort", p.targetPort());
    out.put("protocol", p.protocol());
    if (p.detectTimeout() != null) {
      out.put("detectTimeout", p.detectTimeout().toString());
    }
    out.put("opaque", p.opaque());
    out.put("skipped", p.skipped());
    out.put("provenance", provenance(p.provenance()));
    out.put("shadowedServers", p.shadowed().stream().map(ExplanationJson::ref).toList());
    out.put("invalidTokens", p.invalidTokens().stream().map(ExplanationJson::token).toList());
    if (!p.networkPolicyConflicts().isEmpty()) {
      // Only where there are any, so the usual shape stays as it was.
      out.put(
          "networkPolicyConflicts",
          p.networkPolicyConflicts().stream().map(c -> c.toJson()).toList());
    }
    Explanation.Authz a = p.authz();
    if (a != null) {
      Map<String, Object> authz = new LinkedHashMap<>();
      authz.put("policy", a.policy());
      authz.put("source", provenance(a.source()));
      authz.put("requireIdentity", a.requireIdentity());
      authz.put("summary", a.summary());
      authz.put("invalidTokens", a.invalidTokens().stream().map(ExplanationJson::token).toList());
      authz.put("networkPolicies", a.networkPolicies());
      authz.put(
          "narrowedBy",
          a.narrowedBy().stream()
              .map(n ->
                  Map.of(
                      "policy",
                      n.policy().namespace() + "/" + n.policy().name(),
                      "networks",
                      n.networks()))
              .toList());
      out.put("authorization", authz);
    }
    return out;
  }

  // Values may be null ("value" of an unset proxyProtocol): a LinkedHashMap keeps them as JSON
  // null.
  private static Map<String, Object> provenance(ProvenanceView p) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("source", p.source());
    out.put("summary", p.summary());
    if (p.object() != null) {
      out.put("object", ref(p.object()));
    }
    if (p.setting() != null) {
      out.put("setting", p.setting());
    }
    if (p.field() != null) {
      out.put("field", p.field());
    }
    if (p.via() == null) {
      out.put("value", p.value());
    }
    if (p.targetPort() != null) {
      out.put("targetPort", p.targetPort());
    }
    if (p.via() != null) {
      out.put("via", provenance(p.via()));
    }
    return out;
  }

  private static Map<String, Object> ref(ObjectRef r) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("kind", r.kind());
    out.put("namespace", r.namespace());
    out.put("name", r.name());
    return out;
  }

  private static Map<String, Object> token(TokenReport t) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("object", ref(t.object()));
    out.put("field", t.field());
    out.put("position", t.token().position());
    out.put("token", t.token().token());
    out.put("reason", t.token().reason());
    return out;
  }
}
