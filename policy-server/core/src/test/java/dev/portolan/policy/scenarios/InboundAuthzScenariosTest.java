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
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.Provenance;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.resolve.AnnotationCheck;
import dev.portolan.policy.resolve.OpaqueTransportPolicy;
import dev.portolan.policy.resolve.Resolver;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Who may connect to (pod, port): the default inbound policy from the Pod, the Namespace or the
 * install, and require-identity ports (docs/design/inbound.md).
 */
class InboundAuthzScenariosTest {
  static final String POLICY = "config.linkerd.io/default-inbound-policy";
  static final String REQUIRE = "config.linkerd.io/proxy-require-identity-inbound-ports";
  static final String MESHED = "web.ns.serviceaccount.identity.portolan.cluster.local";
  static final IpAddress IN_CLUSTER = IpAddress.parse("10.1.2.3");
  static final IpAddress OUTSIDE = IpAddress.parse("203.0.113.9");
  static final IpAddress OUTSIDE_V6 = IpAddress.parse("2001:db8::1");

  final Resolver resolver = new Resolver(MeshSettings.defaults());

  InboundAuthz authz(Snapshot s, int port) {
    return resolver.inboundAuthz(s, s.pod("ns", "web-0"), port);
  }

  static boolean admits(InboundAuthz a, IpAddress src, String identity) {
    return a.authorizations().stream().anyMatch(z -> z.admits(src, identity));
  }

  static NamespaceInfo ns(String policy) {
    return new NamespaceInfo("ns", Map.of(), Map.of(POLICY, policy));
  }

  /** Each value: who it admits, from inside and outside the cluster, meshed or not. */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // policy,                in-plain, in-meshed, out-plain, out-meshed
    "all-unauthenticated,     true,     true,      true,      true",
    "all-authenticated,       false,    true,      false,     true",
    "cluster-unauthenticated, true,     true,      false,     false",
    "cluster-authenticated,   false,    true,      false,     false",
    "deny,                    false,    false,     false,     false",
  })
  void each_value_admits_what_its_name_says(
      String policy, boolean inPlain, boolean inMeshed, boolean outPlain, boolean outMeshed) {
    InboundAuthz a = authz(of(pod("web-0").annotate(POLICY, policy).build()), 8080);
    assertThat(a.policy().value()).isEqualTo(policy);
    assertThat(admits(a, IN_CLUSTER, null)).as("in-cluster plaintext").isEqualTo(inPlain);
    assertThat(admits(a, IN_CLUSTER, MESHED)).as("in-cluster meshed").isEqualTo(inMeshed);
    assertThat(admits(a, OUTSIDE, null)).as("outside plaintext").isEqualTo(outPlain);
    assertThat(admits(a, OUTSIDE, MESHED)).as("outside meshed").isEqualTo(outMeshed);
    assertThat(admits(a, OUTSIDE_V6, MESHED)).as("outside v6 meshed").isEqualTo(outMeshed);
    assertThat(a.invalidTokens()).isEmpty();
  }

  @Test
  void deny_has_no_authorizations_and_the_others_one() {
    assertThat(authz(of(pod("web-0").annotate(POLICY, "deny").build()), 80).authorizations())
        .isEmpty();
    Authorization all =
        authz(of(pod("web-0").annotate(POLICY, "all-authenticated").build()), 80)
            .authorizations()
            .getFirst();
    assertThat(all.networks()).isEqualTo(Authorization.ALL_NETWORKS);
    assertThat(all.authentication()).isEqualTo(Authentication.ANY_MESH_IDENTITY);
    assertThat(all.name()).isEqualTo("all-authenticated");
  }

  @Test
  void pod_wins_over_namespace_wins_over_install() {
    Resolver install =
        new Resolver(
            MeshSettings.defaults(),
            OpaqueTransportPolicy.ALWAYS,
            AuthzSettings.parse("cluster-authenticated", "10.0.0.0/8"));
    Snapshot bare = of(pod("web-0").build());
    InboundAuthz a = install.inboundAuthz(bare, bare.pod("ns", "web-0"), 80);
    assertThat(a.policy()).isEqualTo(DefaultInboundPolicy.CLUSTER_AUTHENTICATED);
    assertThat(a.source())
        .isEqualTo(
            new Provenance.Default("portolan.inbound.default-policy", "cluster-authenticated"));

    Snapshot nsOnly = of(ns("deny"), pod("web-0").build());
    a = install.inboundAuthz(nsOnly, nsOnly.pod("ns", "web-0"), 80);
    assertThat(a.policy()).isEqualTo(DefaultInboundPolicy.DENY);
    assertThat(a.source())
        .isEqualTo(new Provenance.Annotation(ObjectRef.namespace("ns"), POLICY, "deny"));

    Snapshot both = of(ns("deny"), pod("web-0").annotate(POLICY, "all-unauthenticated").build());
    a = install.inboundAuthz(both, both.pod("ns", "web-0"), 80);
    assertThat(a.policy()).isEqualTo(DefaultInboundPolicy.ALL_UNAUTHENTICATED);
    assertThat(a.source())
        .isEqualTo(
            new Provenance.Annotation(ObjectRef.pod("ns", "web-0"), POLICY, "all-unauthenticated"));
    assertThat(a.summary()).contains("all-unauthenticated from Pod/ns/web-0 annotation");
  }

  @Test
  void the_install_default_is_all_unauthenticated_as_linkerds() {
    InboundAuthz a = authz(of(pod("web-0").build()), 80);
    assertThat(a.policy()).isEqualTo(DefaultInboundPolicy.ALL_UNAUTHENTICATED);
    assertThat(a.source().source()).isEqualTo("default");
  }

  @Test
  void cluster_networks_come_from_the_setting() {
    Resolver narrow =
        new Resolver(
            MeshSettings.defaults(),
            OpaqueTransportPolicy.ALWAYS,
            AuthzSettings.parse("cluster-unauthenticated", "192.0.2.0/24, 10.9.0.0/16"));
    Snapshot s = of(pod("web-0").build());
    InboundAuthz a = narrow.inboundAuthz(s, s.pod("ns", "web-0"), 80);
    assertThat(a.authorizations().getFirst().networks())
        .extracting(n -> n.net())
        .containsExactly(Cidr.parse("192.0.2.0/24"), Cidr.parse("10.9.0.0/16"));
    assertThat(admits(a, IpAddress.parse("192.0.2.7"), null)).isTrue();
    assertThat(admits(a, IN_CLUSTER, null)).isFalse();
  }

  @Test
  void require_identity_ports_admit_meshed_clients_only() {
    Snapshot s =
        of(pod("web-0").port("admin", 9000).annotate(REQUIRE, "8080, admin, 7000-7001").build());
    for (int port : List.of(8080, 9000, 7000, 7001)) {
      InboundAuthz a = authz(s, port);
      assertThat(a.requireIdentity()).as("port %d", port).isTrue();
      assertThat(admits(a, IN_CLUSTER, null)).as("port %d plaintext", port).isFalse();
      assertThat(admits(a, OUTSIDE, MESHED)).as("port %d meshed", port).isTrue();
      assertThat(a.summary()).contains("meshed clients only");
    }
    InboundAuthz other = authz(s, 8081);
    assertThat(other.requireIdentity()).isFalse();
    assertThat(admits(other, IN_CLUSTER, null)).isTrue();
  }

  @Test
  void require_identity_narrows_cluster_unauthenticated_and_keeps_its_networks() {
    Snapshot s =
        of(
            pod("web-0")
                .annotate(POLICY, "cluster-unauthenticated")
                .annotate(REQUIRE, "8080")
                .build());
    InboundAuthz a = authz(s, 8080);
    assertThat(admits(a, IN_CLUSTER, null)).isFalse();
    assertThat(admits(a, IN_CLUSTER, MESHED)).isTrue();
    assertThat(admits(a, OUTSIDE, MESHED)).isFalse();
  }

  @Test
  void require_identity_on_deny_still_admits_nobody() {
    Snapshot s = of(pod("web-0").annotate(POLICY, "deny").annotate(REQUIRE, "8080").build());
    assertThat(authz(s, 8080).authorizations()).isEmpty();
  }

  @Test
  void a_bad_pod_value_is_reported_and_the_namespace_decides() {
    Snapshot s = of(ns("all-authenticated"), pod("web-0").annotate(POLICY, "allow-all").build());
    InboundAuthz a = authz(s, 80);
    assertThat(a.policy()).isEqualTo(DefaultInboundPolicy.ALL_AUTHENTICATED);
    assertThat(a.source().summary()).contains("Namespace/ns");
    assertThat(a.invalidTokens()).hasSize(1);
    var r = a.invalidTokens().getFirst();
    assertThat(r.object()).isEqualTo(ObjectRef.pod("ns", "web-0"));
    assertThat(r.field()).isEqualTo("metadata.annotations[" + POLICY + "]");
    assertThat(r.token().token()).isEqualTo("allow-all");
    assertThat(r.token().reason()).contains("not a default inbound policy");
  }

  @Test
  void a_bad_namespace_value_is_reported_and_the_install_default_decides() {
    Snapshot s = of(ns("nobody"), pod("web-0").build());
    InboundAuthz a = authz(s, 80);
    assertThat(a.policy()).isEqualTo(DefaultInboundPolicy.ALL_UNAUTHENTICATED);
    assertThat(a.source().source()).isEqualTo("default");
    assertThat(a.invalidTokens())
        .singleElement()
        .satisfies(r -> assertThat(r.object()).isEqualTo(ObjectRef.namespace("ns")));
  }

  @Test
  void values_are_case_insensitive_and_trimmed() {
    Snapshot s = of(pod("web-0").annotate(POLICY, " Deny ").build());
    assertThat(authz(s, 80).policy()).isEqualTo(DefaultInboundPolicy.DENY);
  }

  @Test
  void a_bad_require_identity_token_is_reported_and_the_rest_applies() {
    Snapshot s = of(pod("web-0").annotate(REQUIRE, "8080,http-nope").build());
    InboundAuthz a = authz(s, 8080);
    assertThat(a.requireIdentity()).isTrue();
    assertThat(a.invalidTokens())
        .singleElement()
        .satisfies(r -> assertThat(r.token().token()).isEqualTo("http-nope"));
  }

  @Test
  void the_annotation_check_reports_bad_values_on_pods_and_namespaces() {
    Resource badPod = pod("web-0").annotate(POLICY, "everyone").build();
    assertThat(AnnotationCheck.check(badPod))
        .singleElement()
        .satisfies(r -> assertThat(r.toString()).contains("'everyone'"));
    assertThat(AnnotationCheck.check(ns("closed")))
        .singleElement()
        .satisfies(r -> assertThat(r.object()).isEqualTo(ObjectRef.namespace("ns")));
    assertThat(AnnotationCheck.check(ns("deny"))).isEmpty();
  }

  @Test
  void bad_install_settings_stop_the_start_with_the_token() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> AuthzSettings.parse("open", AuthzSettings.DEFAULT_CLUSTER_NETWORKS))
        .hasMessageContaining("portolan.inbound.default-policy \"open\"");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> AuthzSettings.parse("deny", "10.0.0.0/8,10.0.0.1"))
        .hasMessageContaining("portolan.inbound.cluster-networks")
        .hasMessageContaining("10.0.0.1");
  }

  @Test
  void identity_suffixes_match_on_label_boundaries() {
    var m =
        new Authentication.MeshTls(
            List.of("a.ns.serviceaccount.identity.portolan.cluster.local"),
            List.of(List.of("ns", "serviceaccount", "identity", "portolan", "cluster", "local")));
    assertThat(m.admits("b.ns.serviceaccount.identity.portolan.cluster.local")).isTrue();
    assertThat(m.admits("b.xns.serviceaccount.identity.portolan.cluster.local")).isFalse();
    assertThat(m.admits(null)).isFalse();
  }
}
