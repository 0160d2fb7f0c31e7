package dev.portolan.policy.scenarios;

import static dev.portolan.policy.scenarios.Cluster.of;
import static dev.portolan.policy.scenarios.Cluster.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.model.Authentication;
import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.AuthzSettings;
import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.DefaultInboundPolicy;
import dev.portolan.policy.model.InboundAuthz;
import dev.portolan.policy.model.IpAddress;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.ProbeRoute;
import dev.portolan.policy.resolve.OpaqueTransportPolicy;
import dev.portolan.policy.resolve.Resolver;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kubelet's HTTP probes are admitted whatever the default inbound policy
 * (docs/design/sources-and-precedence.md, <i>Probe authorizations</i>).
 */
class ProbeAuthzScenariosTest {
  static final String POLICY = "config.linkerd.io/default-inbound-policy";
  static final IpAddress NODE = IpAddress.parse("192.0.2.1");

  final Resolver resolver = new Resolver(MeshSettings.defaults());

  static Snapshot web(String policy) {
    return of(
        pod("web-0")
            .annotate(POLICY, policy)
            .port("http", 8080)
            .port("admin", 9000)
            .probe(8080, "/ready")
            .probe(8080, "/healthz")
            .probe(8080, "/ready")
            .probe(9000, "/live")
            .build());
  }

  InboundAuthz authz(Resolver r, Snapshot s, int port) {
    return r.inboundAuthz(s, s.pod("ns", "web-0"), port);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "deny",
        "all-authenticated",
        "cluster-authenticated",
        "cluster-unauthenticated",
        "all-unauthenticated"
      })
  void every_default_policy_admits_the_probe_paths_of_the_port_unauthenticated(String policy) {
    InboundAuthz a = authz(resolver, web(policy), 8080);
    assertThat(a.policy()).isEqualTo(DefaultInboundPolicy.parse(policy));
    ProbeRoute probe = a.probeRoute();
    assertThat(probe).isNotNull();
    assertThat(probe.paths()).as("distinct, sorted").containsExactly("/healthz", "/ready");
    assertThat(probe.authorization().name()).isEqualTo("probe");
    assertThat(probe.authorization().authentication()).isEqualTo(Authentication.UNAUTHENTICATED);
    assertThat(probe.authorization().networks()).isEqualTo(Authorization.ALL_NETWORKS);
    assertThat(probe.authorization().admits(NODE, null)).isTrue();
    assertThat(a.summary()).endsWith("; kubelet probes GET /healthz, /ready admitted");
  }

  @Test
  void deny_keeps_the_port_authorizations_empty_the_probes_ride_beside_them() {
    InboundAuthz a = authz(resolver, web("deny"), 8080);
    assertThat(a.authorizations()).isEmpty();
    assertThat(a.probeRoute()).isNotNull();
  }

  @Test
  void each_port_gets_its_own_probes_and_a_port_without_any_gets_none() {
    Snapshot s =
        of(
            pod("web-0")
                .annotate(POLICY, "deny")
                .port("http", 8080)
                .port("admin", 9000)
                .port("db", 7000)
                .probe(8080, "/ready")
                .probe(9000, "/live")
                .build());
    assertThat(authz(resolver, s, 9000).probeRoute().paths()).containsExactly("/live");
    assertThat(authz(resolver, s, 8080).probeRoute().paths()).containsExactly("/ready");
    assertThat(authz(resolver, s, 7000).probeRoute()).isNull();
  }

  @Test
  void a_namespace_policy_gets_the_probes_too() {
    Snapshot s =
        of(
            new NamespaceInfo("ns", Map.of(), Map.of(POLICY, "deny")),
            pod("web-0").port("http", 8080).probe(8080, "/ready").build());
    assertThat(authz(resolver, s, 8080).probeRoute()).isNotNull();
  }

  @Test
  void a_require_identity_port_gets_no_probe_route() {
    Snapshot s =
        of(
            pod("web-0")
                .annotate("config.linkerd.io/proxy-require-identity-inbound-ports", "8080")
                .port("http", 8080)
                .probe(8080, "/ready")
                .build());
    assertThat(authz(resolver, s, 8080).requireIdentity()).isTrue();
    assertThat(authz(resolver, s, 8080).probeRoute()).isNull();
  }

  @Test
  void the_probe_networks_setting_narrows_who_may_probe_and_empty_means_none() {
    Resolver nodeOnly =
        new Resolver(
            MeshSettings.defaults(),
            OpaqueTransportPolicy.ALWAYS,
            AuthzSettings.parse("deny", AuthzSettings.DEFAULT_CLUSTER_NETWORKS, "192.0.2.1/32"));
    Authorization z = authz(nodeOnly, web("deny"), 8080).probeRoute().authorization();
    assertThat(z.networks()).containsExactly(new Authorization.Network(Cidr.parse("192.0.2.1/32")));
    assertThat(z.admits(NODE, null)).isTrue();
    assertThat(z.admits(IpAddress.parse("192.0.2.2"), null)).isFalse();

    Resolver none =
        new Resolver(
            MeshSettings.defaults(),
            OpaqueTransportPolicy.ALWAYS,
            AuthzSettings.parse("deny", AuthzSettings.DEFAULT_CLUSTER_NETWORKS, ""));
    assertThat(authz(none, web("deny"), 8080).probeRoute()).isNull();
  }

  @Test
  void a_pod_without_probes_answers_as_before() {
    Snapshot s = of(pod("web-0").annotate(POLICY, "deny").port("http", 8080).build());
    InboundAuthz a = authz(resolver, s, 8080);
    assertThat(a.probeRoute()).isNull();
    assertThat(a.summary()).doesNotContain("probe");
    assertThat(a.authorizations()).isEqualTo(List.of());
  }
}
