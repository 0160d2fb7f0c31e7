package dev.portolan.policy.explain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.api.v1.ExplainResponse;
import dev.portolan.api.v1.PortExplanation;
import dev.portolan.api.v1.Provenance.Builder;
import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.InvalidToken;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.model.Provenance;
import dev.portolan.policy.model.TokenReport;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One explanation with every kind of provenance, in both encodings: the actuator JSON keeps its
 * shape (keys, their order, nulls) and the portolan.v1 answer its fields.
 */
class ExplanationTest {
  static final ObjectRef POD = ObjectRef.pod("shop", "db-0");
  static final ObjectRef SVC = ObjectRef.service("shop", "db");
  static final ObjectRef SERVER = ObjectRef.server("shop", "db-server");
  static final ObjectRef OLDER = ObjectRef.server("shop", "db-older");
  static final String OPAQUE_PORTS = "metadata.annotations[config.linkerd.io/opaque-ports]";
  static final TokenReport BAD =
      new TokenReport(POD, OPAQUE_PORTS, new InvalidToken(2, "x", "why"));

  static final Provenance.Annotation ANNOTATION =
      new Provenance.Annotation(POD, "config.linkerd.io/opaque-ports", "5432,x");

  static Explanation explanation() {
    return Explanation.of(
        POD,
        7,
        List.of(
            port(1, new Protocol.Detect(Duration.ofSeconds(10)), new Provenance.Default("d", null)),
            port(2, new Protocol.Opaque(), ANNOTATION, List.of(), List.of(BAD)),
            port(3, new Protocol.Opaque(), new Provenance.Skip(POD, "3")),
            port(4, new Protocol.Http2(), new Provenance.ServerRule(SERVER, null), List.of(OLDER)),
            port(5, new Protocol.Grpc(), new Provenance.AppProtocol(SVC, 5, "kubernetes.io/h2c")),
            port(6, new Protocol.Opaque(), new Provenance.Derived(POD, 5432, ANNOTATION))));
  }

  @Test
  void json_keeps_the_actuator_shape() {
    Map<String, Object> json = explanation().toJson();
    assertThat(json.keySet()).containsExactly("object", "snapshotVersion", "ports");
    assertThat(json.get("object")).isEqualTo(ref(POD));
    assertThat(json.get("snapshotVersion")).isEqualTo(7L);
    List<?> ports = (List<?>) json.get("ports");
    assertThat(ports).hasSize(6);

    Map<String, Object> detect = obj(ports.get(0));
    assertThat(detect.keySet())
        .containsExactly(
            "port",
            "targetPort",
            "protocol",
            "detectTimeout",
            "opaque",
            "skipped",
            "provenance",
            "shadowedServers",
            "invalidTokens");
    assertThat(detect.get("detectTimeout")).isEqualTo("PT10S");
    assertThat(detect.get("opaque")).isEqualTo(false);
    assertThat(provenance(ports, 0))
        .isEqualTo(map("source", "default", "summary", "d", "setting", "d", "value", null));
    assertThat(provenance(ports, 0).keySet())
        .containsExactly("source", "summary", "setting", "value");

    Map<String, Object> annotation = obj(ports.get(1));
    assertThat(annotation.containsKey("detectTimeout")).isFalse();
    assertThat(annotation.get("opaque")).isEqualTo(true);
    assertThat(annotation.get("invalidTokens"))
        .isEqualTo(
            List.of(
                map(
                    "object",
                    ref(POD),
                    "field",
                    OPAQUE_PORTS,
                    "position",
                    2,
                    "token",
                    "x",
                    "reason",
                    "why")));
    assertThat(provenance(ports, 1)).isEqualTo(annotationJson());
    assertThat(provenance(ports, 1).keySet())
        .containsExactly("source", "summary", "object", "field", "value");

    assertThat(provenance(ports, 2))
        .isEqualTo(
            map("source", "skip", "summary", SKIP_SUMMARY, "object", ref(POD), "value", "3"));

    assertThat(obj(ports.get(3)).get("shadowedServers")).isEqualTo(List.of(ref(OLDER)));
    assertThat(provenance(ports, 3))
        .isEqualTo(
            map(
                "source",
                "server",
                "summary",
                "Server/shop/db-server spec.proxyProtocol=(unset)",
                "object",
                ref(SERVER),
                "field",
                "spec.proxyProtocol",
                "value",
                null));

    assertThat(provenance(ports, 4))
        .isEqualTo(
            map(
                "source",
                "appProtocol",
                "summary",
                "Service/shop/db spec.ports[port=5].appProtocol=kubernetes.io/h2c",
                "object",
                ref(SVC),
                "field",
                "spec.ports[port=5].appProtocol",
                "value",
                "kubernetes.io/h2c"));

    Map<String, Object> derived = provenance(ports, 5);
    assertThat(derived.keySet())
        .containsExactly("source", "summary", "object", "targetPort", "via");
    assertThat(derived.get("targetPort")).isEqualTo(5432);
    assertThat(derived.get("via")).isEqualTo(annotationJson());
  }

  @Test
  void proto_carries_the_same_facts() {
    ExplainResponse r = explanation().toProto();
    assertThat(r.getObject()).isEqualTo(protoRef(POD));
    assertThat(r.getPortsCount()).isEqualTo(6);

    PortExplanation detect = r.getPorts(0);
    assertThat(detect.getProtocol()).isEqualTo("detect");
    assertThat(detect.getDetectTimeoutMs()).isEqualTo(10_000);
    assertThat(detect.getProvenance()).isEqualTo(provenance("default", "d").setField("d").build());

    PortExplanation annotation = r.getPorts(1);
    assertThat(annotation.getDetectTimeoutMs()).isZero();
    assertThat(annotation.getProvenance()).isEqualTo(annotationProto());
    assertThat(annotation.getInvalidTokensList())
        .containsExactly(
            dev.portolan.api.v1.InvalidToken.newBuilder()
                .setObject(protoRef(POD))
                .setField(OPAQUE_PORTS)
                .setPosition(2)
                .setToken("x")
                .setReason("why")
                .build());

    assertThat(r.getPorts(2).getProvenance())
        .isEqualTo(
            provenance("skip", SKIP_SUMMARY).setObject(protoRef(POD)).setRawValue("3").build());

    assertThat(r.getPorts(3).getShadowedList()).containsExactly(protoRef(OLDER));
    assertThat(r.getPorts(3).getProvenance())
        .isEqualTo(
            provenance("server", "Server/shop/db-server spec.proxyProtocol=(unset)")
                .setObject(protoRef(SERVER))
                .setField("spec.proxyProtocol")
                .build());

    assertThat(r.getPorts(4).getProvenance().getField())
        .isEqualTo("spec.ports[port=5].appProtocol");
    assertThat(r.getPorts(4).getProvenance().getRawValue()).isEqualTo("kubernetes.io/h2c");

    var derived = r.getPorts(5).getProvenance();
    assertThat(derived.getSource()).isEqualTo("derived");
    assertThat(derived.getObject()).isEqualTo(protoRef(POD));
    assertThat(derived.getField()).isEmpty();
    assertThat(derived.getRawValue()).isEmpty();
    assertThat(derived.getVia()).isEqualTo(annotationProto());
  }

  static final String SKIP_SUMMARY =
      "Pod/shop/db-0 annotation config.linkerd.io/skip-inbound-ports=\"3\"";

  static Map<String, Object> annotationJson() {
    return map(
        "source",
        "annotation",
        "summary",
        ANNOTATION.summary(),
        "object",
        ref(POD),
        "field",
        OPAQUE_PORTS,
        "value",
        "5432,x");
  }

  static dev.portolan.api.v1.Provenance annotationProto() {
    return provenance("annotation", ANNOTATION.summary())
        .setObject(protoRef(POD))
        .setField(OPAQUE_PORTS)
        .setRawValue("5432,x")
        .build();
  }

  static Builder provenance(String source, String summary) {
    return dev.portolan.api.v1.Provenance.newBuilder().setSource(source).setSummary(summary);
  }

  static Map<String, Object> provenance(List<?> ports, int i) {
    return obj(obj(ports.get(i)).get("provenance"));
  }

  static dev.portolan.policy.resolve.PortExplanation port(int n, Protocol p, Provenance why) {
    return port(n, p, why, List.of(), List.of());
  }

  static dev.portolan.policy.resolve.PortExplanation port(
      int n, Protocol p, Provenance why, List<ObjectRef> shadowed) {
    return port(n, p, why, shadowed, List.of());
  }

  static dev.portolan.policy.resolve.PortExplanation port(
      int n, Protocol p, Provenance why, List<ObjectRef> shadowed, List<TokenReport> bad) {
    return new dev.portolan.policy.resolve.PortExplanation(
        n, String.valueOf(n), new EffectiveProtocol(p, why, false, shadowed, bad));
  }

  static Map<String, Object> ref(ObjectRef r) {
    return map("kind", r.kind(), "namespace", r.namespace(), "name", r.name());
  }

  static dev.portolan.api.v1.ObjectRef protoRef(ObjectRef r) {
    return dev.portolan.api.v1.ObjectRef.newBuilder()
        .setKind(r.kind())
        .setNamespace(r.namespace())
        .setName(r.name())
        .build();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> obj(Object o) {
    return (Map<String, Object>) o;
  }

  /** An ordered map that, unlike Map.of, holds nulls. */
  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }
}
