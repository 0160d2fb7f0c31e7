package dev.portolan.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.Authentication;
import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.Cidr;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthorizerTest {
  static final String ID = "client.ns.serviceaccount.identity.portolan.cluster.local";
  static final InetAddress POD = InetAddress.ofLiteral("10.42.0.7");
  static final InetAddress OUTSIDE = InetAddress.ofLiteral("203.0.113.5");
  static final InetAddress V6 = InetAddress.ofLiteral("fd00::7");

  static List<Authorization> policy(Authentication authn, String... networks) {
    List<Authorization.Network> nets =
        networks.length == 0
            ? Authorization.ALL_NETWORKS
            : List.of(networks).stream()
                .map(n -> new Authorization.Network(Cidr.parse(n)))
                .toList();
    return List.of(new Authorization(nets, authn, "test"));
  }

  @Test
  void no_answer_from_the_control_plane_admits_everyone() {
    assertThat(Authorizer.refusal(null, OUTSIDE, null, 80)).isNull();
  }

  @Test
  void deny_admits_nobody_and_says_so() {
    assertThat(Authorizer.refusal(List.of(), POD, ID, 80))
        .isEqualTo(
            "client "
                + ID
                + " at 10.42.0.7 is not authorized on port 80: its policy admits no one"
                + " (deny)");
    assertThat(Authorizer.refusal(List.of(), POD, null, 80)).startsWith("unauthenticated client");
  }

  @Test
  void unauthenticated_admits_plaintext_and_meshed_from_its_networks() {
    var all = policy(Authentication.UNAUTHENTICATED);
    assertThat(Authorizer.refusal(all, OUTSIDE, null, 80)).isNull();
    assertThat(Authorizer.refusal(all, V6, ID, 80)).isNull();
    var cluster = policy(Authentication.UNAUTHENTICATED, "10.0.0.0/8");
    assertThat(Authorizer.refusal(cluster, POD, null, 80)).isNull();
    assertThat(Authorizer.refusal(cluster, OUTSIDE, ID, 80)).contains("(policy test)");
  }

  @Test
  void authenticated_needs_a_verified_identity() {
    var authn = policy(Authentication.ANY_MESH_IDENTITY);
    assertThat(Authorizer.refusal(authn, POD, null, 6379))
        .isEqualTo("unauthenticated client 10.42.0.7 is not authorized on port 6379 (policy test)");
    assertThat(Authorizer.refusal(authn, POD, ID, 6379)).isNull();
    assertThat(Authorizer.refusal(authn, V6, ID, 6379)).isNull();
  }

  @Test
  void named_identities_and_suffixes_match_exactly() {
    var named =
        policy(
            new Authentication.MeshTls(
                List.of("web.other.serviceaccount.identity.portolan.cluster.local"),
                List.of(
                    List.of("ns", "serviceaccount", "identity", "portolan", "cluster", "local"))));
    assertThat(Authorizer.refusal(named, POD, ID, 80)).isNull();
    assertThat(
            Authorizer.refusal(
                named, POD, "web.other.serviceaccount.identity.portolan.cluster.local", 80))
        .isNull();
    assertThat(
            Authorizer.refusal(
                named, POD, "web.third.serviceaccount.identity.portolan.cluster.local", 80))
        .isNotNull();
  }

  @Test
  void excepted_addresses_are_refused() {
    var withHole =
        List.of(
            new Authorization(
                List.of(
                    new Authorization.Network(
                        Cidr.parse("10.0.0.0/8"), List.of(Cidr.parse("10.42.0.0/16")))),
                Authentication.UNAUTHENTICATED,
                "hole"));
    assertThat(Authorizer.refusal(withHole, POD, null, 80)).isNotNull();
    assertThat(Authorizer.refusal(withHole, InetAddress.ofLiteral("10.1.0.1"), null, 80)).isNull();
  }

  @Test
  void any_authorization_that_admits_is_enough() {
    var two =
        List.of(
            new Authorization(
                Authorization.ALL_NETWORKS, Authentication.ANY_MESH_IDENTITY, "meshed"),
            new Authorization(
                List.of(new Authorization.Network(Cidr.parse("10.42.0.7/32"))),
                Authentication.UNAUTHENTICATED,
                "probe"));
    assertThat(Authorizer.refusal(two, POD, null, 80)).isNull();
    assertThat(Authorizer.refusal(two, InetAddress.ofLiteral("10.42.0.8"), null, 80))
        .contains("(policy meshed, probe)");
  }

  static Authorization fromPolicy(String name, Authentication authn, String... networks) {
    return new Authorization(
        List.of(networks).stream().map(n -> new Authorization.Network(Cidr.parse(n))).toList(),
        authn,
        Authorization.networkPolicyName("cache", name));
  }

  /** The tunnel keeps the port rules: a NetworkPolicy's refusal is told apart from others. */
  @Test
  void an_address_no_network_policy_allows_is_refused_for_networkpolicy() {
    var port =
        List.of(
            fromPolicy("redis", Authentication.UNAUTHENTICATED, "10.42.0.9/32", "192.0.2.1/32"),
            fromPolicy("ops", Authentication.UNAUTHENTICATED, "10.43.0.0/16"));
    assertThat(Authorizer.check(port, InetAddress.ofLiteral("10.42.0.9"), ID, 6379)).isNull();
    assertThat(Authorizer.check(port, InetAddress.ofLiteral("10.43.7.7"), null, 6379)).isNull();
    Authorizer.Refusal r = Authorizer.check(port, POD, ID, 6379);
    assertThat(r).isNotNull();
    assertThat(r.reason()).isEqualTo("networkpolicy");
    assertThat(r.detail())
        .isEqualTo(
            "client "
                + ID
                + " at 10.42.0.7 may not reach port 6379: NetworkPolicy cache/redis, cache/ops"
                + " does not allow its address on that port");
    assertThat(Authorizer.refusal(port, POD, ID, 6379)).contains("is not authorized on port 6379");
  }

  @Test
  void an_allowed_address_without_the_identity_is_unauthorized_not_networkpolicy() {
    var port = List.of(fromPolicy("redis", Authentication.ANY_MESH_IDENTITY, "10.42.0.7/32"));
    assertThat(Authorizer.check(port, POD, ID, 6379)).isNull();
    Authorizer.Refusal r = Authorizer.check(port, POD, null, 6379);
    assertThat(r).isNotNull();
    assertThat(r.reason()).isEqualTo("unauthorized");
  }

  @Test
  void default_policies_refuse_as_unauthorized() {
    var cluster = policy(Authentication.UNAUTHENTICATED, "10.0.0.0/8");
    Authorizer.Refusal r = Authorizer.check(cluster, OUTSIDE, null, 80);
    assertThat(r).isNotNull();
    assertThat(r.reason()).isEqualTo("unauthorized");
    assertThat(Authorizer.check(List.of(), POD, ID, 80).reason()).isEqualTo("unauthorized");
    assertThat(Authorizer.check(null, POD, ID, 80)).isNull();
  }
}
