package dev.portolan.policy.explain;

import dev.portolan.api.v1.ExplainResponse;
import dev.portolan.api.v1.InvalidToken;
import dev.portolan.api.v1.NarrowingPolicy;
import dev.portolan.api.v1.NetworkPolicyConflict;
import dev.portolan.api.v1.ObjectRef;
import dev.portolan.api.v1.PortExplanation;
import dev.portolan.api.v1.Provenance;
import dev.portolan.policy.model.TokenReport;
import dev.portolan.policy.networkpolicy.Conflict;

/** An {@link Explanation} as the portolan.v1 {@code Diagnostics/Explain} answer (explain.proto). */
final class ExplanationProto {
  private ExplanationProto() {}

  static ExplainResponse of(Explanation e) {
    ExplainResponse.Builder b = ExplainResponse.newBuilder().setObject(ref(e.object()));
    for (Explanation.Port p : e.ports()) {
      PortExplanation.Builder pb =
          PortExplanation.newBuilder()
              .setPort(p.port())
              .setTargetPort(p.targetPort())
              .setProtocol(p.protocol())
              .setSkipped(p.skipped())
              .setProvenance(provenance(p.provenance()));
      if (p.detectTimeout() != null) {
        pb.setDetectTimeoutMs((int) p.detectTimeout().toMillis());
      }
      p.shadowed().forEach(s -> pb.addShadowed(ref(s)));
      p.invalidTokens().forEach(t -> pb.addInvalidTokens(token(t)));
      p.networkPolicyConflicts().forEach(c -> pb.addNetworkPolicyConflicts(conflict(c)));
      Explanation.Authz a = p.authz();
      if (a != null) {
        var ab =
            dev.portolan.api.v1.InboundAuthorization.newBuilder()
                .setPolicy(a.policy())
                .setSource(provenance(a.source()))
                .setRequireIdentity(a.requireIdentity())
                .setSummary(a.summary());
        a.invalidTokens().forEach(t -> ab.addInvalidTokens(token(t)));
        for (Explanation.NarrowedBy n : a.narrowedBy()) {
          ab.addNetworkPolicies(
              NarrowingPolicy.newBuilder().setPolicy(ref(n.policy())).addAllNetworks(n.networks()));
        }
        pb.setAuthorization(ab);
      }
      b.addPorts(pb);
    }
    return b.build();
  }

  // The message has one field slot: a default's setting goes there. It has no slot for a derived
  // step's target port (the summary names it).
  private static Provenance provenance(ProvenanceView p) {
    Provenance.Builder b = Provenance.newBuilder().setSource(p.source()).setSummary(p.summary());
    if (p.object() != null) {
      b.setObject(ref(p.object()));
    }
    if (p.setting() != null) {
      b.setField(p.setting());
    } else if (p.field() != null) {
      b.setField(p.field());
    }
    if (p.value() != null) {
      b.setRawValue(p.value());
    }
    if (p.via() != null) {
      b.setVia(provenance(p.via()));
    }
    return b.build();
  }

  private static ObjectRef ref(dev.portolan.policy.model.ObjectRef r) {
    return ObjectRef.newBuilder()
        .setKind(r.kind())
        .setNamespace(r.namespace())
        .setName(r.name())
        .build();
  }

  private static NetworkPolicyConflict conflict(Conflict c) {
    return NetworkPolicyConflict.newBuilder()
        .setPolicy(ref(c.policy()))
        .setDirection(c.direction())
        .setRule(c.rule())
        .setServer(ref(c.server()))
        .setInboundPort(c.inboundPort())
        .addAllClients(c.clients())
        .setReason(c.reason())
        .setPatch(c.patch())
        .build();
  }

  private static InvalidToken token(TokenReport t) {
    return InvalidToken.newBuilder()
        .setObject(ref(t.object()))
        .setField(t.field())
        .setPosition(t.token().position())
        .setToken(t.token().token())
        .setReason(t.token().reason())
        .build();
  }
}
