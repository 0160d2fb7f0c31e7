package dev.portolan.policy.scenarios;

import static dev.portolan.policy.scenarios.Cluster.namespace;
import static dev.portolan.policy.scenarios.Cluster.of;
import static dev.portolan.policy.scenarios.Cluster.pod;
import static dev.portolan.policy.scenarios.Cluster.server;
import static dev.portolan.policy.scenarios.Cluster.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.model.Provenance;
import dev.portolan.policy.resolve.Authority;
import dev.portolan.policy.resolve.BadRequestException;
import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.Profile;
import dev.portolan.policy.resolve.Resolver;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Effective protocol of (service, port) through GetProfile: scenarios S1–S12 of
 * docs/design/sources-and-precedence.md.
 */
class ServiceScenariosTest {
  final Resolver resolver = new Resolver(MeshSettings.defaults());

  Profile profile(Snapshot s, String path) {
    return resolver.profile(s, Authority.parse(path), ClientContext.UNKNOWN);
  }

  @Test
  void s1_service_annotation_lists_the_port() {
    Snapshot s = of(service("db").opaquePorts("3306").port("mysql", 3306, "3306").build());
    Profile p = profile(s, "db.ns.svc.cluster.local:3306");
    assertThat(p.opaque()).isTrue();
    assertThat(p.protocol().provenance())
        .isEqualTo(
            new Provenance.Annotation(
                ObjectRef.service("ns", "db"), "config.linkerd.io/opaque-ports", "3306"));
  }

  @Test
  void s2_plain_service_with_plain_backends_is_not_opaque() {
    Snapshot s =
        of(
            service("web").selector("app", "web").port("http", 8080, "8080").build(),
            pod("web-0").label("app", "web").port("http", 8080).build());
    assertThat(profile(s, "web.ns.svc.cluster.local:8080").opaque()).isFalse();
  }

  @Test
  void s3_empty_service_annotation_means_none_even_on_a_default_port() {
    Snapshot s = of(service("db").opaquePorts("").port("mysql", 3306, "3306").build());
    assertThat(profile(s, "db.ns.svc.cluster.local:3306").opaque()).isFalse();
  }

  @Test
  void s4_numeric_target_port_in_the_defaults_makes_it_opaque() {
    Snapshot s = of(service("db").port("db", 9090, "3306").build());
    Profile p = profile(s, "db.ns.svc.cluster.local:9090");
    assertThat(p.opaque()).isTrue();
    assertThat(p.protocol().provenance().source()).isEqualTo("default");
  }

  @Test
  void s5_opacity_is_derived_from_a_backend_annotation() {
    Snapshot s =
        of(
            service("app").selector("app", "a").port("http", 80, "8080").build(),
            pod("a-0").label("app", "a").opaquePorts("8080").port("http", 8080).build());
    Profile p = profile(s, "app.ns.svc.cluster.local:80");
    assertThat(p.opaque()).isTrue();
    Provenance.Derived d = (Provenance.Derived) p.protocol().provenance();
    assertThat(d.pod()).isEqualTo(ObjectRef.pod("ns", "a-0"));
    assertThat(d.targetPort()).isEqualTo(8080);
    assertThat(d.via().source()).isEqualTo("annotation");
  }

  @Test
  void s5_opacity_is_derived_from_a_backend_server_but_not_from_not_ready_pods() {
    Snapshot s =
        of(
            service("gal").selector("app", "gal").port("repl", 4567, "replication").build(),
            pod("gal-0").label("app", "gal").port("replication", 4567).notReady().build(),
            server("repl", Map.of("app", "gal"), "replication", "opaque", null));
    assertThat(profile(s, "gal.ns.svc.cluster.local:4567").opaque()).isFalse();

    Snapshot ready =
        Cluster.with(s, pod("gal-0").label("app", "gal").port("replication", 4567).build());
    Profile p = profile(ready, "gal.ns.svc.cluster.local:4567");
    assertThat(p.opaque()).isTrue();
    assertThat(((Provenance.Derived) p.protocol().provenance()).via().source()).isEqualTo("server");
  }

  @Test
  void s6_app_protocol_http_wins_over_the_annotation() {
    Snapshot s = of(service("web").opaquePorts("80").port("http", 80, "8080", "http").build());
    Profile p = profile(s, "web.ns.svc.cluster.local:80");
    assertThat(p.opaque()).isFalse();
    assertThat(p.protocol().protocol()).isEqualTo(Protocol.HTTP1);
    assertThat(p.protocol().provenance().source()).isEqualTo("appProtocol");
  }

  @Test
  void s7_app_protocol_linkerd_opaque_is_opaque() {
    Snapshot s = of(service("t").port("t", 9443, "9443", "linkerd.io/opaque").build());
    assertThat(profile(s, "t.ns.svc.cluster.local:9443").opaque()).isTrue();
  }

  @Test
  void app_protocols_map_as_the_spec_lists() {
    Snapshot s =
        of(
            service("m")
                .port("a", 1, "1", "kubernetes.io/ws")
                .port("b", 2, "2", "kubernetes.io/h2c")
                .port("c", 3, "3", "grpc")
                .port("d", 4, "4", "HTTPS")
                .port("e", 5, "5", "kubernetes.io/wss")
                .port("f", 6, "6", "custom.example/thing")
                .build());
    assertThat(resolver.service(s, s.service("ns", "m"), 1).protocol()).isEqualTo(Protocol.HTTP1);
    assertThat(resolver.service(s, s.service("ns", "m"), 2).protocol()).isEqualTo(Protocol.HTTP2);
    assertThat(resolver.service(s, s.service("ns", "m"), 3).protocol()).isEqualTo(Protocol.GRPC);
    assertThat(resolver.service(s, s.service("ns", "m"), 4).isOpaque()).isTrue();
    assertThat(resolver.service(s, s.service("ns", "m"), 5).isOpaque()).isTrue();
    assertThat(resolver.service(s, s.service("ns", "m"), 6).isOpaque()).isTrue();
  }

  @Test
  void s8_a_service_port_name_in_the_annotation() {
    Snapshot s =
        of(service("x").opaquePorts("db").port("db", 5000, "5000").port("web", 80, "80").build());
    assertThat(profile(s, "x.ns.svc.cluster.local:5000").opaque()).isTrue();
    assertThat(profile(s, "x.ns.svc.cluster.local:80").opaque()).isFalse();
  }

  @Test
  void s9_fully_qualified_name_is_set_for_services() {
    Snapshot s = of(service("name").port("p", 4242, "4242").build());
    assertThat(profile(s, "name.ns.svc.cluster.local:4242").fullyQualifiedName())
        .isEqualTo("name.ns.svc.cluster.local");
  }

  @Test
  void s10_cluster_ip_gives_the_same_answer_as_the_name() {
    Snapshot s = of(service("db").clusterIp("10.96.3.3").port("db", 9090, "3306").build());
    Profile byName = profile(s, "db.ns.svc.cluster.local:9090");
    Profile byIp = profile(s, "10.96.3.3:9090");
    assertThat(byIp).isEqualTo(byName);
  }

  @Test
  void s11_unknown_addresses_get_the_defaults() {
    Snapshot s = of();
    assertThat(profile(s, "203.0.113.9:3306").opaque()).isTrue();
    assertThat(profile(s, "203.0.113.9:80").opaque()).isFalse();
    assertThat(profile(s, "example.org:5432").opaque()).isTrue();
  }

  @Test
  void s12_external_name_is_a_bad_request() {
    Snapshot s = of(service("ext").externalName().build());
    assertThatThrownBy(() -> profile(s, "ext.ns.svc.cluster.local:80"))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("ExternalName");
  }

  @Test
  void namespace_annotation_applies_to_services_live() {
    Snapshot s = of(namespace("ns", "7000"), service("t").port("t", 7000, "7000").build());
    assertThat(profile(s, "t.ns.svc.cluster.local:7000").opaque()).isTrue();
    assertThat(
            profile(Cluster.with(s, namespace("ns", null)), "t.ns.svc.cluster.local:7000").opaque())
        .isFalse();
  }
}
