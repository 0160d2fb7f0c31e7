package dev.portolan.proxy.inbound;

import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.IpAddress;
import dev.portolan.proxy.discovery.HttpRoutePolicy;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Whether a client may connect to an inbound port under the port's {@code Server.authorizations}
 * (docs/design/inbound.md): admitted when one authorization contains its source address and its
 * authentication is met — any client for {@code unauthenticated}, a verified mesh TLS client
 * identity matching the names or suffixes for {@code meshTLS}. An empty list admits nobody (the
 * {@code deny} policy); no list at all (the control plane never answered) admits everyone. Pure:
 * the verified identity is the caller's to find (the mesh TLS session of the connection).
 *
 * <p>A refusal has a reason for the {@code reason} label of the refusal counters: {@value
 * #NETWORK_POLICY} when the port's authorizations come from NetworkPolicies (their names start with
 * {@code networkpolicy:}) and the client's address is in none of their networks — its policy would
 * not have let it reach the port directly, the tunnel keeps that rule
 * (docs/design/networkpolicy.md, <i>The tunnel keeps the port rules</i>); {@value #UNAUTHORIZED}
 * otherwise (its address is allowed but its authentication falls short, or the default policy
 * refuses it).
 */
public final class Authorizer {
  /** The reason of a refusal by a NetworkPolicy's authorization. */
  public static final String NETWORK_POLICY = "networkpolicy";

  /** The reason of every other refusal. */
  public static final String UNAUTHORIZED = "unauthorized";

  /**
   * Why a client was refused.
   *
   * @param reason {@value #NETWORK_POLICY} or {@value #UNAUTHORIZED}: a metric label
   * @param detail in words for a log line and {@code l5d-proxy-error}
   */
  public record Refusal(String reason, String detail) {}

  private Authorizer() {}

  /**
   * The routes whose own authorizations admit this client: when the port's authorizations refuse
   * it, these are the requests it may still send (the kubelet's probes). Empty when none.
   */
  public static List<HttpRoutePolicy> routesAdmitting(
      List<HttpRoutePolicy> routes, InetAddress source, @Nullable String identity) {
    IpAddress src = IpAddress.of(source.getAddress());
    List<HttpRoutePolicy> out = new ArrayList<>();
    for (HttpRoutePolicy r : routes) {
      for (Authorization a : r.authorizations()) {
        if (a.admits(src, identity)) {
          out.add(r);
          break;
        }
      }
    }
    return out;
  }

  /**
   * Why a request is refused on a connection the port's authorizations refused ({@code refusal})
   * but {@code admitting} routes admit, or null when the route that takes it is one of them. The
   * route that takes a request is the most specific match among all the port's routes (an exact
   * path over a prefix, a longer prefix, a method), as the Gateway API orders them.
   */
  public static @Nullable String requestRefusal(
      List<HttpRoutePolicy> routes,
      List<HttpRoutePolicy> admitting,
      String refusal,
      String method,
      String uri) {
    String path = pathOf(uri);
    HttpRoutePolicy best = null;
    int bestRank = -1;
    for (HttpRoutePolicy r : routes) {
      int rank = r.rank(method, path);
      if (rank > bestRank) {
        best = r;
        bestRank = rank;
      }
    }
    if (best != null && admitting.contains(best)) {
      return null;
    }
    return refusal
        + (best == null ? "; no route takes " : "; route " + best.name() + " takes ")
        + method
        + " "
        + path
        + " and does not admit it";
  }

  /** The path of a request target: origin form up to the query, or an absolute form's path. */
  static String pathOf(String uri) {
    String p = uri;
    int scheme = p.indexOf("://");
    if (!p.startsWith("/") && scheme > 0) {
      int slash = p.indexOf('/', scheme + 3);
      p = slash < 0 ? "/" : p.substring(slash);
    }
    int end = p.length();
    for (char c : new char[] {'?', '#'}) {
      int i = p.indexOf(c);
      if (i >= 0 && i < end) {
        end = i;
      }
    }
    return p.substring(0, end);
  }

  /**
   * Why the client may not connect, or null when it may.
   *
   * @param identity the client's verified mesh identity, null for a plaintext client
   */
  public static @Nullable Refusal check(
      @Nullable List<Authorization> authorizations,
      InetAddress source,
      @Nullable String identity,
      int port) {
    String detail = refusal(authorizations, source, identity, port);
    if (detail == null || authorizations == null) {
      return null;
    }
    IpAddress src = IpAddress.of(source.getAddress());
    List<String> policies = new ArrayList<>();
    for (Authorization a : authorizations) {
      if (a.inNetworks(src)) {
        return new Refusal(UNAUTHORIZED, detail); // allowed there, refused for its identity
      }
      if (a.fromNetworkPolicy()) {
        policies.add(a.name().substring(Authorization.NETWORK_POLICY_PREFIX.length()));
      }
    }
    if (policies.isEmpty()) {
      return new Refusal(UNAUTHORIZED, detail);
    }
    return new Refusal(
        NETWORK_POLICY,
        (identity == null
                ? "unauthenticated client " + source.getHostAddress()
                : "client " + identity + " at " + source.getHostAddress())
            + " may not reach port "
            + port
            + ": NetworkPolicy "
            + String.join(", ", policies)
            + " does not allow its address on that port");
  }

  /**
   * Why the client may not connect, in words for a log line and {@code l5d-proxy-error}; null when
   * it may.
   *
   * @param identity the client's verified mesh identity, null for a plaintext client
   */
  public static @Nullable String refusal(
      @Nullable List<Authorization> authorizations,
      InetAddress source,
      @Nullable String identity,
      int port) {
    if (authorizations == null) {
      return null;
    }
    IpAddress src = IpAddress.of(source.getAddress());
    for (Authorization a : authorizations) {
      if (a.admits(src, identity)) {
        return null;
      }
    }
    String who =
        identity == null
            ? "unauthenticated client " + source.getHostAddress()
            : "client " + identity + " at " + source.getHostAddress();
    if (authorizations.isEmpty()) {
      return who + " is not authorized on port " + port + ": its policy admits no one (deny)";
    }
    return who
        + " is not authorized on port "
        + port
        + " (policy "
        + String.join(", ", authorizations.stream().map(Authorization::name).toList())
        + ")";
  }
}
