package dev.portolan.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.api.inbound.Authn;
import dev.portolan.api.inbound.Authz;
import dev.portolan.api.inbound.Identity;
import dev.portolan.api.inbound.IdentitySuffix;
import dev.portolan.api.inbound.Network;
import dev.portolan.api.inbound.ProxyProtocol;
import dev.portolan.api.inbound.Server;
import dev.portolan.api.net.IPAddress;
import dev.portolan.api.net.IPNetwork;
import dev.portolan.api.net.IPv6;
import dev.portolan.policy.model.Authentication;
import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.IpAddress;
import dev.portolan.proxy.route.Handling;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Server.authorizations as linkerd2-proxy-api writes them, read into the core's values. */
class InboundPolicyWireTest {
  static IPNetwork v4(int a, int prefix) {
    return IPNetwork.newBuilder()
        .setIp(IPAddress.newBuilder().setIpv4(a))
        .setPrefixLen(prefix)
        .build();
  }

  static final IPNetwork ALL_V6 =
      IPNetwork.newBuilder()
          .setIp(IPAddress.newBuilder().setIpv6(IPv6.newBuilder().setFirst(0).setLast(0)))
          .setPrefixLen(0)
          .build();

  static Server server(Authz... authz) {
    return Server.newBuilder()
        .setProtocol(
            ProxyProtocol.newBuilder().setOpaque(ProxyProtocol.Opaque.getDefaultInstance()))
        .addAllAuthorizations(List.of(authz))
        .build();
  }

  @Test
  void all_authenticated_as_linkerd_writes_it() {
    Authz a =
        Authz.newBuilder()
            .addNetworks(Network.newBuilder().setNet(v4(0, 0)))
            .addNetworks(Network.newBuilder().setNet(ALL_V6))
            .setAuthentication(
                Authn.newBuilder()
                    .setMeshTLS(
                        Authn.PermitMeshTLS.newBuilder()
                            .setIdentities(
                                Authn.PermitClientIdentities.newBuilder()
                                    .addSuffixes(IdentitySuffix.getDefaultInstance()))))
            .putLabels("name", "all-authenticated")
            .build();
    InboundPolicy p = InboundPolicy.of(server(a));
    assertThat(p.handling()).isEqualTo(Handling.OPAQUE);
    var z = p.authorizations().getFirst();
    assertThat(z.name()).isEqualTo("all-authenticated");
    assertThat(z.authentication()).isEqualTo(Authentication.ANY_MESH_IDENTITY);
    assertThat(z.networks())
        .extracting(n -> n.net())
        .containsExactly(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0"));
    assertThat(z.admits(IpAddress.parse("2001:db8::1"), "a.b")).isTrue();
    assertThat(z.admits(IpAddress.parse("192.0.2.1"), null)).isFalse();
  }

  @Test
  void networks_with_exceptions_and_named_identities() {
    Authz a =
        Authz.newBuilder()
            .addNetworks(
                Network.newBuilder().setNet(v4(0x0a000000, 8)).addExcept(v4(0x0a2a0000, 16)))
            .setAuthentication(
                Authn.newBuilder()
                    .setMeshTLS(
                        Authn.PermitMeshTLS.newBuilder()
                            .setIdentities(
                                Authn.PermitClientIdentities.newBuilder()
                                    .addIdentities(Identity.newBuilder().setName("a.ns")))))
            .build();
    var z = InboundPolicy.of(server(a)).authorizations().getFirst();
    assertThat(z.networks().getFirst().net()).isEqualTo(Cidr.parse("10.0.0.0/8"));
    assertThat(z.networks().getFirst().except()).containsExactly(Cidr.parse("10.42.0.0/16"));
    assertThat(z.admits(IpAddress.parse("10.1.1.1"), "a.ns")).isTrue();
    assertThat(z.admits(IpAddress.parse("10.42.1.1"), "a.ns")).isFalse();
    assertThat(z.admits(IpAddress.parse("10.1.1.1"), "b.ns")).isFalse();
  }

  @Test
  void an_empty_list_is_deny_and_unreadable_entries_admit_nobody() {
    assertThat(InboundPolicy.of(server()).authorizations()).isEmpty();
    Authz noNetworks =
        Authz.newBuilder()
            .setAuthentication(
                Authn.newBuilder()
                    .setUnauthenticated(Authn.PermitUnauthenticated.getDefaultInstance()))
            .build();
    Authz noAuthn = Authz.newBuilder().addNetworks(Network.newBuilder().setNet(v4(0, 0))).build();
    Authz badPrefix =
        Authz.newBuilder()
            .addNetworks(Network.newBuilder().setNet(v4(0, 33)))
            .setAuthentication(
                Authn.newBuilder()
                    .setUnauthenticated(Authn.PermitUnauthenticated.getDefaultInstance()))
            .build();
    assertThat(InboundPolicy.of(server(noNetworks, noAuthn, badPrefix)).authorizations()).isEmpty();
  }

  /** An authorization a NetworkPolicy narrowed keeps its origin, however the name is written. */
  @Test
  void network_policy_authorizations_are_told_apart() {
    Authz.Builder base =
        Authz.newBuilder()
            .addNetworks(Network.newBuilder().setNet(v4(0x0a2a0009, 32)))
            .setAuthentication(
                Authn.newBuilder()
                    .setUnauthenticated(Authn.PermitUnauthenticated.getDefaultInstance()))
            .putLabels("group", "networking.k8s.io")
            .putLabels("kind", "networkpolicy")
            .setMetadata(
                dev.portolan.api.meta.Metadata.newBuilder()
                    .setResource(
                        dev.portolan.api.meta.Resource.newBuilder()
                            .setGroup("networking.k8s.io")
                            .setKind("networkpolicy")
                            .setNamespace("cache")
                            .setName("redis")));
    var portolan =
        InboundPolicy.of(
                server(base.clone().putLabels("name", "networkpolicy:cache/redis").build()))
            .authorizations()
            .getFirst();
    assertThat(portolan.name()).isEqualTo("networkpolicy:cache/redis");
    assertThat(portolan.fromNetworkPolicy()).isTrue();
    var plain =
        InboundPolicy.of(server(base.clone().putLabels("name", "redis").build()))
            .authorizations()
            .getFirst();
    assertThat(plain.name()).isEqualTo("networkpolicy:cache/redis");
    assertThat(plain.admits(IpAddress.parse("10.42.0.9"), null)).isTrue();
    assertThat(plain.admits(IpAddress.parse("10.42.0.8"), null)).isFalse();
  }
}
