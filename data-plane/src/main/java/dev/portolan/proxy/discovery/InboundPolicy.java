package dev.portolan.proxy.discovery;

import dev.portolan.api.httproute.HttpRouteMatch;
import dev.portolan.api.inbound.Authn;
import dev.portolan.api.inbound.Authz;
import dev.portolan.api.inbound.HttpRoute;
import dev.portolan.api.inbound.Server;
import dev.portolan.api.net.IPNetwork;
import dev.portolan.policy.model.Authentication;
import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.Cidr;
import dev.portolan.policy.model.IpAddress;
import dev.portolan.proxy.route.Handling;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One inbound port's policy as the data path uses it: how its bytes are handled and who may connect
 * (docs/design/inbound.md).
 *
 * @param handling opaque, detect or a declared codec
 * @param authorizations the port's {@code Server.authorizations}; empty admits nobody (as Linkerd
 *     reads an empty list); null while the control plane never answered, then every client is
 *     admitted (the install default, all-unauthenticated, as the proxy's own fallback)
 * @param routes the port's HTTP routes (Detect's {@code http_routes}, HTTP/1's or HTTP/2's {@code
 *     routes}): a client {@code authorizations} refuses may still send the requests a route's own
 *     authorizations admit (the kubelet's probes); empty when the answer has none
 */
public record InboundPolicy(
    Handling handling, @Nullable List<Authorization> authorizations, List<HttpRoutePolicy> routes) {
  public InboundPolicy {
    authorizations = authorizations == null ? null : List.copyOf(authorizations);
    routes = List.copyOf(routes);
  }

  public InboundPolicy(Handling handling, @Nullable List<Authorization> authorizations) {
    this(handling, authorizations, List.of());
  }

  static InboundPolicy of(Server s) {
    return new InboundPolicy(
        Discovery.policy(s), authorizations(s.getAuthorizationsList()), routes(s));
  }

  private static List<Authorization> authorizations(List<Authz> wire) {
    List<Authorization> out = new ArrayList<>(wire.size());
    for (Authz a : wire) {
      Authorization z = authorization(a);
      if (z != null) {
        out.add(z);
      }
    }
    return out;
  }

  /**
   * The HTTP routes of a protocol that carries them; gRPC's routes are not read (none are sent).
   */
  static List<HttpRoutePolicy> routes(Server s) {
    var p = s.getProtocol();
    List<HttpRoute> wire =
        switch (p.getKindCase()) {
          case DETECT -> p.getDetect().getHttpRoutesList();
          case HTTP1 -> p.getHttp1().getRoutesList();
          case HTTP2 -> p.getHttp2().getRoutesList();
          default -> List.of();
        };
    List<HttpRoutePolicy> out = new ArrayList<>(wire.size());
    for (HttpRoute r : wire) {
      List<HttpRoutePolicy.Match> matches = new ArrayList<>();
      for (HttpRoute.Rule rule : r.getRulesList()) {
        for (HttpRouteMatch m : rule.getMatchesList()) {
          matches.add(match(m));
        }
      }
      if (matches.isEmpty() && r.getRulesCount() > 0) {
        // Rules without matches take every request (the Gateway API's default match).
        matches.add(new HttpRoutePolicy.Match(null, null, "/", true));
      }
      String name =
          r.getMetadata().hasResource()
              ? r.getMetadata().getResource().getName()
              : r.getMetadata().getDefault();
      out.add(new HttpRoutePolicy(name, matches, authorizations(r.getAuthorizationsList())));
    }
    return out;
  }

  private static HttpRoutePolicy.Match match(HttpRouteMatch m) {
    boolean evaluable = m.getHeadersCount() == 0 && m.getQueryParamsCount() == 0;
    String method =
        !m.hasMethod()
            ? null
            : switch (m.getMethod().getTypeCase()) {
              case REGISTERED -> m.getMethod().getRegistered().name();
              case UNREGISTERED -> m.getMethod().getUnregistered();
              case TYPE_NOT_SET -> null;
            };
    String exact = null;
    String prefix = null;
    if (m.hasPath()) {
      switch (m.getPath().getKindCase()) {
        case EXACT -> exact = m.getPath().getExact();
        case PREFIX -> prefix = m.getPath().getPrefix();
        case REGEX -> evaluable = false;
        case KIND_NOT_SET -> {} // any path
      }
    }
    return new HttpRoutePolicy.Match(method, exact, prefix, evaluable);
  }

  /**
   * The authorization an {@code Authz} describes, or null for one this proxy cannot honour (no
   * networks, no authentication, an address it cannot read): such an entry admits nobody, the safe
   * reading of what it does not understand.
   */
  static @Nullable Authorization authorization(Authz a) {
    List<Authorization.Network> networks = new ArrayList<>();
    for (var n : a.getNetworksList()) {
      Cidr net = cidr(n.getNet());
      if (net == null) {
        return null;
      }
      List<Cidr> except = new ArrayList<>();
      for (IPNetwork e : n.getExceptList()) {
        Cidr c = cidr(e);
        if (c != null) {
          except.add(c);
        }
      }
      networks.add(new Authorization.Network(net, except));
    }
    Authentication authn = authentication(a.getAuthentication());
    if (networks.isEmpty() || authn == null) {
      return null;
    }
    String name = a.getLabelsOrDefault("name", a.getMetadata().getDefault());
    if (a.getLabelsOrDefault("kind", "").equals("networkpolicy")
        && !name.startsWith(Authorization.NETWORK_POLICY_PREFIX)) {
      // From a NetworkPolicy but named plainly: the prefix is how a refusal is told apart.
      var r = a.getMetadata().getResource();
      name =
          Authorization.networkPolicyName(
              r.getNamespace(), r.getName().isEmpty() ? name : r.getName());
    }
    return new Authorization(networks, authn, name);
  }

  private static @Nullable Authentication authentication(Authn a) {
    return switch (a.getPermitCase()) {
      case UNAUTHENTICATED -> Authentication.UNAUTHENTICATED;
      case MESHTLS -> {
        Authn.PermitMeshTLS m = a.getMeshTLS();
        yield switch (m.getClientsCase()) {
          // Any client that did mesh TLS, identity or not: a verified session is required.
          case UNAUTHENTICATED -> Authentication.ANY_MESH_IDENTITY;
          case IDENTITIES ->
              new Authentication.MeshTls(
                  m.getIdentities().getIdentitiesList().stream().map(i -> i.getName()).toList(),
                  m.getIdentities().getSuffixesList().stream()
                      .map(sfx -> (List<String>) List.copyOf(sfx.getPartsList()))
                      .toList());
          case CLIENTS_NOT_SET -> null;
        };
      }
      case PERMIT_NOT_SET -> null;
    };
  }

  private static @Nullable Cidr cidr(IPNetwork n) {
    var ip = n.getIp();
    IpAddress address;
    switch (ip.getIpCase()) {
      case IPV4 -> address = IpAddress.of(ByteBuffer.allocate(4).putInt(ip.getIpv4()).array());
      case IPV6 ->
          address =
              IpAddress.of(
                  ByteBuffer.allocate(16)
                      .putLong(ip.getIpv6().getFirst())
                      .putLong(ip.getIpv6().getLast())
                      .array());
      default -> {
        return null;
      }
    }
    if (n.getPrefixLen() > address.bits()) {
      return null;
    }
    return new Cidr(address, n.getPrefixLen());
  }
}
