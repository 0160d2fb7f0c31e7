package dev.portolan.policy.scenarios;

import static dev.portolan.policy.scenarios.Cluster.of;
import static dev.portolan.policy.scenarios.Cluster.pod;
import static dev.portolan.policy.scenarios.Cluster.server;
import static dev.portolan.policy.scenarios.Cluster.service;
import static dev.portolan.policy.scenarios.Cluster.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.resolve.Authority;
import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.Endpoint;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.Resolver;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Endpoint hints and identities: scenarios E1–E4, E6, E7, E9–E11 of
 * docs/design/sources-and-precedence.md.
 */
class EndpointScenariosTest {
  final Resolver resolver = new Resolver(MeshSettings.defaults());

  EndpointSet endpoints(Snapshot s, String svc, int port) {
    return resolver.endpoints(s, "ns", svc, port, ClientContext.UNKNOWN);
  }

  Endpoint only(Snapshot s, String svc, int port) {
    EndpointSet set = endpoints(s, svc, port);
    assertThat(set.endpoints()).hasSize(1);
    return set.endpoints().getFirst();
  }

  @Test
  void e1_opaque_port_on_a_meshed_pod_gets_opaque_transport_and_identity() {
    Snapshot s =
        of(
            service("s").selector("app", "a").port("p", 4, "4").build(),
            pod("a-0").label("app", "a").sa("sa").opaquePorts("4").port("p", 4).build());
    Endpoint e = only(s, "s", 4);
    assertThat(e.hint()).isEqualTo(new Endpoint.Hint(true, 4143));
    assertThat(e.identity()).isEqualTo("sa.ns.serviceaccount.identity.portolan.cluster.local");
  }

  @Test
  void e2_non_opaque_port_gets_h2_hint_and_identity_without_transport() {
    Snapshot s =
        of(
            service("s").selector("app", "a").port("p", 8080, "8080").build(),
            pod("a-0").label("app", "a").port("p", 8080).build());
    Endpoint e = only(s, "s", 8080);
    assertThat(e.hint()).isEqualTo(new Endpoint.Hint(false, 0));
    assertThat(e.identity()).isNotNull();
  }

  @Test
  void e3_skipped_inbound_port_gets_no_hint_and_no_identity() {
    Snapshot s =
        of(
            service("s").selector("app", "a").port("p", 24224, "24224").build(),
            pod("a-0")
                .label("app", "a")
                .annotate("config.linkerd.io/skip-inbound-ports", "24224")
                .build());
    Endpoint e = only(s, "s", 24224);
    assertThat(e.hint()).isNull();
    assertThat(e.identity()).isNull();
  }

  @Test
  void e4_unmeshed_pod_gets_no_hint_and_its_ip_profile_still_uses_the_defaults() {
    Snapshot s =
        of(
            service("s").selector("app", "a").port("p", 3306, "3306").build(),
            pod("a-0").label("app", "a").unmeshed().ip("10.1.9.9").build());
    Endpoint e = only(s, "s", 3306);
    assertThat(e.hint()).isNull();
    assertThat(e.identity()).isNull();
    assertThat(
            resolver.profile(s, Authority.parse("10.1.9.9:3306"), ClientContext.UNKNOWN).opaque())
        .isTrue();
    assertThat(resolver.profile(s, Authority.parse("10.1.9.9:80"), ClientContext.UNKNOWN).opaque())
        .isFalse();
  }

  @Test
  void e6_pod_ip_profile_follows_server_deletion() {
    Snapshot s =
        of(
            pod("a-0").label("app", "a").ip("10.1.2.3").port("p", 80).build(),
            server("opq", Map.of("app", "a"), "80", "opaque", null));
    assertThat(resolver.profile(s, Authority.parse("10.1.2.3:80"), ClientContext.UNKNOWN).opaque())
        .isTrue();
    Snapshot deleted = Cluster.without(s, new Resource.Key(Resource.Kind.SERVER, "ns", "opq"));
    var p = resolver.profile(deleted, Authority.parse("10.1.2.3:80"), ClientContext.UNKNOWN);
    assertThat(p.opaque()).isFalse();
    assertThat(p.endpoint()).isNotNull();
  }

  @Test
  void e7_existing_service_without_ready_endpoints_exists_and_is_empty() {
    Snapshot s =
        of(
            service("s").selector("app", "a").port("p", 80, "80").build(),
            pod("a-0").label("app", "a").notReady().build());
    EndpointSet set = endpoints(s, "s", 80);
    assertThat(set.exists()).isTrue();
    assertThat(set.endpoints()).isEmpty();
    assertThat(endpoints(s, "nope", 80).exists()).isFalse();
  }

  @Test
  void e9_slices_are_the_truth_when_present_and_not_ready_endpoints_are_left_out() {
    Snapshot s =
        of(
            service("s").selector("app", "a").port("web", 80, "8080").build(),
            pod("a-0").label("app", "a").ip("10.1.0.1").port("web", 8080).build(),
            slice("s-abc", "s", "web", 8080, "a-0", "10.1.0.1", true),
            slice("s-def", "s", "web", 8080, null, "10.1.0.2", false));
    EndpointSet set = endpoints(s, "s", 80);
    assertThat(set.endpoints()).extracting(Endpoint::address).containsExactly("10.1.0.1:8080");
    assertThat(set.endpoints().getFirst().identity()).isNotNull();
  }

  @Test
  void e10_metric_labels_name_namespace_service_pod_owner_and_serviceaccount() {
    Snapshot s =
        of(
            service("web").selector("app", "web").port("p", 80, "8080").build(),
            pod("web-5f7c9d-x")
                .label("app", "web")
                .label("pod-template-hash", "5f7c9d")
                .owner("ReplicaSet", "web-5f7c9d")
                .sa("web")
                .port("p", 8080)
                .build());
    EndpointSet set = endpoints(s, "web", 80);
    assertThat(set.labels()).containsEntry("namespace", "ns").containsEntry("service", "web");
    assertThat(set.endpoints().getFirst().labels())
        .containsEntry("pod", "web-5f7c9d-x")
        .containsEntry("deployment", "web")
        .containsEntry("serviceaccount", "web");
  }

  @Test
  void e11_unparsable_proxy_env_keeps_the_endpoint_on_4143_and_reports_it() {
    Snapshot s =
        of(
            service("s").selector("app", "a").port("p", 3306, "3306").build(),
            pod("a-0").label("app", "a").inboundListenAddr("0.0.0.0:notaport").build());
    Endpoint e = only(s, "s", 3306);
    assertThat(e.hint()).isEqualTo(new Endpoint.Hint(true, 4143));
    assertThat(e.problems()).singleElement().asString().contains("notaport");
  }

  @Test
  void proxy_env_moves_the_inbound_port() {
    Snapshot s =
        of(
            service("s").selector("app", "a").port("p", 3306, "3306").build(),
            pod("a-0").label("app", "a").inboundListenAddr("0.0.0.0:5143").build());
    assertThat(only(s, "s", 3306).hint()).isEqualTo(new Endpoint.Hint(true, 5143));
  }

  @Test
  void never_rewrite_to_the_admin_port() {
    Snapshot s =
        of(
            service("s").selector("app", "a").port("admin", 4191, "4191").build(),
            pod("a-0").label("app", "a").opaquePorts("4191").build());
    assertThat(only(s, "s", 4191).hint()).isEqualTo(new Endpoint.Hint(true, 0));
  }
}
