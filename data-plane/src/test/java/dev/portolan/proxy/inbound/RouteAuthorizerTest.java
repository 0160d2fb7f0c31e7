package dev.portolan.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.Authentication;
import dev.portolan.policy.model.Authorization;
import dev.portolan.policy.model.Cidr;
import dev.portolan.proxy.discovery.HttpRoutePolicy;
import dev.portolan.proxy.discovery.HttpRoutePolicy.Match;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Requests on a connection the port's authorizations refuse: only those of a route that admits the
 * client pass (the kubelet's probes under {@code deny}).
 */
class RouteAuthorizerTest {
  static final InetAddress NODE = InetAddress.ofLiteral("10.244.77.1");
  static final InetAddress OTHER = InetAddress.ofLiteral("10.244.77.9");
  static final String ID = "client.ns.serviceaccount.identity.portolan.cluster.local";

  static final Authorization FROM_NODE =
      new Authorization(
          List.of(new Authorization.Network(Cidr.parse("10.244.77.1/32"))),
          Authentication.UNAUTHENTICATED,
          "probe");
  static final HttpRoutePolicy DEFAULT =
      new HttpRoutePolicy("default", List.of(new Match(null, null, "/", true)), List.of());
  static final HttpRoutePolicy PROBE =
      new HttpRoutePolicy(
          "probe",
          List.of(new Match("GET", "/ready", null, true), new Match("GET", "/live", null, true)),
          List.of(FROM_NODE));
  static final List<HttpRoutePolicy> ROUTES = List.of(DEFAULT, PROBE);

  @Test
  void only_clients_a_route_admits_get_route_limited_connections() {
    assertThat(Authorizer.routesAdmitting(ROUTES, NODE, null)).containsExactly(PROBE);
    assertThat(Authorizer.routesAdmitting(ROUTES, NODE, ID)).containsExactly(PROBE);
    assertThat(Authorizer.routesAdmitting(ROUTES, OTHER, null)).isEmpty();
    assertThat(Authorizer.routesAdmitting(List.of(), NODE, null)).isEmpty();
  }

  /** method, request target, null when it passes, else a part of the reason. */
  @ParameterizedTest
  @CsvSource({
    "GET,  /ready,                         ",
    "GET,  /live,                          ",
    "GET,  /ready?verbose=1,               ",
    "GET,  http://10.244.77.5:8080/ready,  ",
    "HEAD, /ready,                         route default takes HEAD /ready",
    "POST, /ready,                         route default takes POST /ready",
    "GET,  /ready/x,                       route default takes GET /ready/x",
    "GET,  /readyz,                        route default takes GET /readyz",
    "GET,  /,                              route default takes GET /",
    "GET,  /secret,                        route default takes GET /secret",
  })
  void the_most_specific_route_decides_each_request(String method, String uri, String why) {
    String refusal =
        Authorizer.requestRefusal(ROUTES, List.of(PROBE), "denied by deny", method, uri);
    if (why == null) {
      assertThat(refusal).isNull();
    } else {
      assertThat(refusal).startsWith("denied by deny; ").contains(why);
    }
  }

  @Test
  void without_a_default_route_a_request_no_route_takes_is_refused() {
    assertThat(Authorizer.requestRefusal(List.of(PROBE), List.of(PROBE), "no", "GET", "/x"))
        .isEqualTo("no; no route takes GET /x and does not admit it");
  }

  @ParameterizedTest
  @CsvSource({
    "/a/b?c=d#e, /a/b",
    "/, /",
    "http://h:1/p?q, /p",
    "https://h, /",
    "*, *",
  })
  void the_path_of_a_request_target(String uri, String path) {
    assertThat(Authorizer.pathOf(uri)).isEqualTo(path);
  }

  @ParameterizedTest
  @CsvSource({
    "/api, /api, true",
    "/api, /api/, true",
    "/api, /api/v1, true",
    "/api, /apiv1, false",
    "/api/, /api/v1, true",
    "/, /anything, true",
  })
  void a_prefix_matches_whole_segments(String prefix, String path, boolean matches) {
    HttpRoutePolicy r =
        new HttpRoutePolicy("r", List.of(new Match(null, null, prefix, true)), List.of());
    assertThat(r.rank("GET", path) >= 0).isEqualTo(matches);
  }
}
