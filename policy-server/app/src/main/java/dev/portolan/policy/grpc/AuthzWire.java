package dev.portolan.policy.grpc;

import dev.portolan.api.httproute.HttpRouteMatch;
import dev.portolan.api.httproute.PathMatch;
import dev.portolan.api.httptypes.HttpMethod;
import dev.portolan.api.inbound.Authn;
import dev.portolan.api.inbound.Authz;
import dev.portolan.api.inbound.HttpRoute;
import dev.portolan.api.inbound.Identity;
import dev.portolan.api.inbound.IdentitySuffix;
import dev.portolan.api.inbound.Network;
import dev.portolan.api.inbound.ProxyProtocol;
import dev.portolan.api.inbound.Server;
import dev.portolan.api.meta.Metadata;
import dev.portolan.api.meta.Resource;
import dev.portolan.api.net.IPAddress;
import dev.portolan.api.net.IPNetwork;
import dev.portolan.api.net.IPv6;
import dev.portolan.policy.model.Authentication;
import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.InboundAuthz;
import dev.portolan.policy.model.ProbeRoute;
import dev.portolan.policy.model.Provenance;
import java.nio.ByteBuffer;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Inbound authorizations as linkerd2-proxy-api's {@code Server.authorizations}
 * (docs/design/wire.md): labels {@code {group:"", kind:"default", name:<policy>}} and {@code
 * Metadata.default = <policy>}, as Linkerd's policy controller writes its default policies; an
 * authorization a NetworkPolicy narrowed is labelled {@code {group:"networking.k8s.io",
 * kind:"networkpolicy", name:"networkpolicy:<ns>/<name>"}} with the policy as {@code
 * Metadata.resource}.
 */
final class AuthzWire {
  static final String NETWORKING_GROUP = "networking.k8s.io";
  static final String NETWORK_POLICY_KIND = "networkpolicy";

  private AuthzWire() {}

  /** The port's Server answer: protocol and provenance labels, then who may connect. */
  static Server server(EffectiveProtocol protocol, @Nullable InboundAuthz authz) {
    Server s = Translator.inboundServer(protocol);
    if (authz == null) {
      return s;
    }
    Server.Builder b = s.toBuilder();
    if (protocol.provenance() instanceof Provenance.Default) {
      // The Server is a default one: name it after the default policy, as Linkerd does.
      b.putLabels("name", authz.policy().value());
    }
    for (Authorization a : authz.authorizations()) {
      b.addAuthorizations(authz(a));
    }
    ProbeRoute probe = authz.probeRoute();
    if (probe != null) {
      withRoutes(b.getProtocolBuilder(), probe);
    }
    return b.build();
  }

  /**
   * The kubelet's probes as HTTP routes on a protocol that carries them (Detect, HTTP/1, HTTP/2),
   * as Linkerd's policy controller writes them: a {@code default} route matching every request,
   * admitted by the Server's authorizations, and a {@code probe} route matching {@code GET} of each
   * probe path exactly, admitted also by the probe authorization. Without the default route a
   * linkerd2-proxy would answer every other request 404. Opaque and TLS ports are never HTTP to the
   * proxy, and gRPC has routes of its own kind the kubelet's HTTP/1 probe cannot use: no routes.
   */
  static void withRoutes(ProxyProtocol.Builder protocol, ProbeRoute probe) {
    List<HttpRoute> routes = List.of(defaultRoute(), probeRoute(probe));
    switch (protocol.getKindCase()) {
      case DETECT -> protocol.getDetectBuilder().addAllHttpRoutes(routes);
      case HTTP1 -> protocol.getHttp1Builder().addAllRoutes(routes);
      case HTTP2 -> protocol.getHttp2Builder().addAllRoutes(routes);
      default -> {}
    }
  }

  static HttpRoute defaultRoute() {
    return HttpRoute.newBuilder()
        .setMetadata(Metadata.newBuilder().setDefault("default"))
        .addRules(
            HttpRoute.Rule.newBuilder()
                .addMatches(
                    HttpRouteMatch.newBuilder().setPath(PathMatch.newBuilder().setPrefix("/"))))
        .build();
  }

  static HttpRoute probeRoute(ProbeRoute probe) {
    HttpRoute.Rule.Builder rule = HttpRoute.Rule.newBuilder();
    for (String path : probe.paths()) {
      rule.addMatches(
          HttpRouteMatch.newBuilder()
              .setPath(PathMatch.newBuilder().setExact(path))
              .setMethod(HttpMethod.newBuilder().setRegistered(HttpMethod.Registered.GET)));
    }
    return HttpRoute.newBuilder()
        .setMetadata(Metadata.newBuilder().setDefault(ProbeRoute.NAME))
        .addAuthorizations(authz(probe.authorization()))
        .addRules(rule)
        .build();
  }

  static Authz authz(Authorization a) {
    Authz.Builder b = Authz.newBuilder().setAuthentication(authn(a.authentication()));
    if (a.fromNetworkPolicy()) {
      // Narrowed by a NetworkPolicy (docs/design/networkpolicy.md, "The tunnel keeps the port
      // rules"): labelled as the resource it comes from, as Linkerd labels an AuthorizationPolicy;
      // the name keeps the "networkpolicy:" prefix, which is how a proxy tells why it refused.
      String ref = a.name().substring(Authorization.NETWORK_POLICY_PREFIX.length());
      int slash = ref.indexOf('/');
      b.putLabels("group", NETWORKING_GROUP)
          .putLabels("kind", NETWORK_POLICY_KIND)
          .putLabels("name", a.name())
          .setMetadata(
              Metadata.newBuilder()
                  .setResource(
                      Resource.newBuilder()
                          .setGroup(NETWORKING_GROUP)
                          .setKind(NETWORK_POLICY_KIND)
                          .setNamespace(ref.substring(0, Math.max(slash, 0)))
                          .setName(ref.substring(slash + 1))));
    } else {
      b.putLabels("group", "")
          .putLabels("kind", "default")
          .putLabels("name", a.name())
          .setMetadata(Metadata.newBuilder().setDefault(a.name()));
    }
    for (Authorization.Network n : a.networks()) {
      Network.Builder nb = Network.newBuilder().setNet(network(n.net()));
      for (Cidr e : n.except()) {
        nb.addExcept(network(e));
      }
      b.addNetworks(nb);
    }
    return b.build();
  }

  static Authn authn(Authentication a) {
    return switch (a) {
      case Authentication.Unauthenticated u ->
          Authn.newBuilder()
              .setUnauthenticated(Authn.PermitUnauthenticated.getDefaultInstance())
              .build();
      case Authentication.MeshTls m -> {
        Authn.PermitClientIdentities.Builder ids = Authn.PermitClientIdentities.newBuilder();
        for (String id : m.identities()) {
          ids.addIdentities(Identity.newBuilder().setName(id));
        }
        for (var parts : m.suffixes()) {
          ids.addSuffixes(IdentitySuffix.newBuilder().addAllParts(parts));
        }
        yield Authn.newBuilder()
            .setMeshTLS(Authn.PermitMeshTLS.newBuilder().setIdentities(ids))
            .build();
      }
    };
  }

  static IPNetwork network(Cidr c) {
    ByteBuffer bytes = ByteBuffer.wrap(c.network().bytes());
    IPAddress ip =
        c.network().v6()
            ? IPAddress.newBuilder()
                .setIpv6(IPv6.newBuilder().setFirst(bytes.getLong()).setLast(bytes.getLong()))
                .build()
            : IPAddress.newBuilder().setIpv4(bytes.getInt()).build();
    return IPNetwork.newBuilder().setIp(ip).setPrefixLen(c.prefix()).build();
  }
}
