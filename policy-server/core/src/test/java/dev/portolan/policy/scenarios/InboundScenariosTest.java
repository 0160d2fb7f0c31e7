package dev.portolan.policy.scenarios;

import static dev.portolan.policy.scenarios.Cluster.namespace;
import static dev.portolan.policy.scenarios.Cluster.of;
import static dev.portolan.policy.scenarios.Cluster.pod;
import static dev.portolan.policy.scenarios.Cluster.server;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.model.Provenance;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.resolve.Resolver;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Effective inbound protocol of (pod, port): scenarios I1–I10 of
 * docs/design/sources-and-precedence.md.
 */
class InboundScenariosTest {
  final Resolver resolver = new Resolver(MeshSettings.defaults());
  final PodInfo web =
      pod("web-0").label("app", "web").port("http", 8080).port("redis", 6379).build();

  EffectiveProtocol inbound(Snapshot s, String podName, int port) {
    return resolver.inbound(s, s.pod("ns", podName), port);
  }

  @Test
  void i1_defaults_apply_inbound() {
    EffectiveProtocol e = inbound(of(web), "web-0", 6379);
    assertThat(e.protocol()).isEqualTo(Protocol.OPAQUE);
    assertThat(e.provenance()).isInstanceOf(Provenance.Default.class);
    assertThat(e.provenance().source()).isEqualTo("default");
  }

  @Test
  void i2_other_ports_are_detected_with_the_timeout() {
    EffectiveProtocol e = inbound(of(web), "web-0", 8080);
    assertThat(e.protocol()).isEqualTo(new Protocol.Detect(Duration.ofSeconds(10)));
    assertThat(e.provenance().source()).isEqualTo("default");
  }

  @Test
  void i3_a_present_pod_annotation_replaces_the_defaults() {
    Snapshot s = of(pod("a-0").opaquePorts("2222").build());
    assertThat(inbound(s, "a-0", 2222).protocol()).isEqualTo(Protocol.OPAQUE);
    EffectiveProtocol e = inbound(s, "a-0", 6379);
    assertThat(e.protocol()).isInstanceOf(Protocol.Detect.class);
    assertThat(e.provenance())
        .isEqualTo(
            new Provenance.Annotation(
                ObjectRef.pod("ns", "a-0"), "config.linkerd.io/opaque-ports", "2222"));
  }

  @Test
  void i4_a_server_makes_the_port_opaque_with_server_provenance() {
    Snapshot s = of(web, server("web-tcp", Map.of("app", "web"), "80", "opaque", null));
    EffectiveProtocol e = inbound(s, "web-0", 80);
    assertThat(e.protocol()).isEqualTo(Protocol.OPAQUE);
    assertThat(e.provenance())
        .isEqualTo(new Provenance.ServerRule(ObjectRef.server("ns", "web-tcp"), "opaque"));
  }

  @Test
  void i5_server_wins_over_pod_annotation() {
    Snapshot s =
        of(
            pod("a-0").label("app", "a").opaquePorts("80").build(),
            server("a-http", Map.of("app", "a"), "80", "HTTP/1", null));
    assertThat(inbound(s, "a-0", 80).protocol()).isEqualTo(Protocol.HTTP1);
  }

  @Test
  void i6_oldest_server_wins_the_newer_is_shadowed_and_takes_over_when_the_older_goes() {
    Snapshot s =
        of(
            web,
            server("older", Map.of("app", "web"), "80", "HTTP/2", "2025-01-01T00:00:00Z"),
            server("newer", Map.of("app", "web"), "80", "opaque", "2025-06-01T00:00:00Z"));
    EffectiveProtocol e = inbound(s, "web-0", 80);
    assertThat(e.protocol()).isEqualTo(Protocol.HTTP2);
    assertThat(e.shadowed()).containsExactly(ObjectRef.server("ns", "newer"));

    Snapshot after = Cluster.without(s, new Resource.Key(Resource.Kind.SERVER, "ns", "older"));
    assertThat(inbound(after, "web-0", 80).protocol()).isEqualTo(Protocol.OPAQUE);
  }

  @Test
  void i7_a_server_in_another_namespace_never_applies() {
    Snapshot s =
        of(web, server("elsewhere", "other", Map.of("app", "web"), "8080", "opaque", null));
    assertThat(inbound(s, "web-0", 8080).protocol()).isInstanceOf(Protocol.Detect.class);
  }

  @Test
  void i8_a_server_port_name_selects_the_container_port() {
    Snapshot s = of(web, server("named", Map.of("app", "web"), "http", "opaque", null));
    assertThat(inbound(s, "web-0", 8080).protocol()).isEqualTo(Protocol.OPAQUE);
    assertThat(inbound(s, "web-0", 6379).provenance().source()).isEqualTo("default");
  }

  @Test
  void i9_the_namespace_annotation_applies_live() {
    Snapshot s = of(namespace("ns", "8080"), web);
    EffectiveProtocol e = inbound(s, "web-0", 8080);
    assertThat(e.protocol()).isEqualTo(Protocol.OPAQUE);
    assertThat(e.provenance())
        .isEqualTo(
            new Provenance.Annotation(
                ObjectRef.namespace("ns"), "config.linkerd.io/opaque-ports", "8080"));

    Snapshot edited = Cluster.with(s, namespace("ns", "9090"));
    assertThat(inbound(edited, "web-0", 8080).protocol()).isInstanceOf(Protocol.Detect.class);
  }

  @Test
  void i10_an_empty_pod_annotation_means_explicitly_none() {
    Snapshot s = of(pod("db-0").opaquePorts("").port("mysql", 3306).build());
    EffectiveProtocol e = inbound(s, "db-0", 3306);
    assertThat(e.protocol()).isInstanceOf(Protocol.Detect.class);
    assertThat(e.provenance().source()).isEqualTo("annotation");
  }

  @Test
  void pod_annotation_wins_over_namespace_annotation() {
    Snapshot s =
        of(namespace("ns", "8080"), pod("a-0").opaquePorts("9000").port("http", 8080).build());
    assertThat(inbound(s, "a-0", 8080).protocol()).isInstanceOf(Protocol.Detect.class);
  }

  @Test
  void skipped_ports_are_reported_as_skipped() {
    Snapshot s =
        of(pod("a-0").annotate("config.linkerd.io/skip-inbound-ports", "24224,4000-4010").build());
    EffectiveProtocol e = inbound(s, "a-0", 4005);
    assertThat(e.skipped()).isTrue();
    assertThat(e.provenance().source()).isEqualTo("skip");
    assertThat(inbound(s, "a-0", 4011).skipped()).isFalse();
  }

  @Test
  void invalid_tokens_are_reported_with_the_object_and_the_valid_ones_apply() {
    Snapshot s = of(pod("a-0").opaquePorts("8000, abc-def, 70000").build());
    EffectiveProtocol e = inbound(s, "a-0", 8000);
    assertThat(e.protocol()).isEqualTo(Protocol.OPAQUE);
    assertThat(e.invalidTokens()).hasSize(2);
    assertThat(e.invalidTokens().getFirst().object()).isEqualTo(ObjectRef.pod("ns", "a-0"));
    assertThat(e.invalidTokens().getFirst().token().token()).isEqualTo("abc-def");
    assertThat(e.invalidTokens().get(1).token().position()).isEqualTo(3);
  }

  @Test
  void a_namespace_annotation_name_resolves_against_each_pod() {
    Snapshot s =
        of(
            namespace("ns", "db"),
            pod("a-0").port("db", 5000).build(),
            pod("b-0").port("db", 6000).build());
    assertThat(inbound(s, "a-0", 5000).protocol()).isEqualTo(Protocol.OPAQUE);
    assertThat(inbound(s, "b-0", 6000).protocol()).isEqualTo(Protocol.OPAQUE);
    assertThat(inbound(s, "b-0", 5000).protocol()).isInstanceOf(Protocol.Detect.class);
  }
}
