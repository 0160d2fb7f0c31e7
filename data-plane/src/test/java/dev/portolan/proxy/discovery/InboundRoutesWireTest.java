package dev.portolan.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.portolan.api.httproute.HeaderMatch;
import dev.portolan.api.httproute.HttpRouteMatch;
import dev.portolan.api.httproute.PathMatch;
import dev.portolan.api.httptypes.HttpMethod;
import dev.portolan.api.inbound.Authn;
import dev.portolan.api.inbound.Authz;
import dev.portolan.api.inbound.HttpRoute;
import dev.portolan.api.inbound.Network;
import dev.portolan.api.inbound.ProxyProtocol;
import dev.portolan.api.inbound.Server;
import dev.portolan.api.meta.Metadata;
import dev.portolan.api.net.IPAddress;
import dev.portolan.api.net.IPNetwork;
import dev.portolan.policy.model.Authentication;
import java.util.List;
import org.junit.jupiter.api.Test;

/** HTTP routes on the InboundServer answer, as the control plane writes the probe routes. */
class InboundRoutesWireTest {
  static final Authz PROBE =
      Authz.newBuilder()
          .addNetworks(
              Network.newBuilder()
                  .setNet(
                      IPNetwork.newBuilder()
                          .setIp(IPAddress.newBuilder().setIpv4(0x0a_f4_4d_01))
                          .setPrefixLen(32)))
          .setAuthentication(
              Authn.newBuilder()
                  .setUnauthenticated(Authn.PermitUnauthenticated.getDefaultInstance()))
          .putLabels("name", "probe")
          .setMetadata(Metadata.newBuilder().setDefault("probe"))
          .build();

  static final HttpRoute DEFAULT =
      HttpRoute.newBuilder()
          .setMetadata(Metadata.newBuilder().setDefault("default"))
          .addRules(
              HttpRoute.Rule.newBuilder()
                  .addMatches(
                      HttpRouteMatch.newBuilder().setPath(PathMatch.newBuilder().setPrefix("/"))))
          .build();

  static HttpRouteMatch get(String path) {
    return HttpRouteMatch.newBuilder()
        .setPath(PathMatch.newBuilder().setExact(path))
        .setMethod(HttpMethod.newBuilder().setRegistered(HttpMethod.Registered.GET))
        .build();
  }

  static final HttpRoute PROBE_ROUTE =
      HttpRoute.newBuilder()
          .setMetadata(Metadata.newBuilder().setDefault("probe"))
          .addAuthorizations(PROBE)
          .addRules(HttpRoute.Rule.newBuilder().addMatches(get("/live")).addMatches(get("/ready")))
          .build();

  @Test
  void a_detect_answer_with_routes_keeps_them_and_its_empty_deny_list() {
    Server s =
        Server.newBuilder()
            .setProtocol(
                ProxyProtocol.newBuilder()
                    .setDetect(
                        ProxyProtocol.Detect.newBuilder()
                            .setTimeout(Duration.newBuilder().setSeconds(10))
                            .addHttpRoutes(DEFAULT)
                            .addHttpRoutes(PROBE_ROUTE)))
            .build();
    InboundPolicy p = InboundPolicy.of(s);
    assertThat(p.authorizations()).isEmpty();
    assertThat(p.routes()).extracting(HttpRoutePolicy::name).containsExactly("default", "probe");
    HttpRoutePolicy probe = p.routes().get(1);
    assertThat(probe.matches())
        .containsExactly(
            new HttpRoutePolicy.Match("GET", "/live", null, true),
            new HttpRoutePolicy.Match("GET", "/ready", null, true));
    assertThat(probe.authorizations())
        .singleElement()
        .satisfies(a -> {
          assertThat(a.name()).isEqualTo("probe");
          assertThat(a.authentication()).isEqualTo(Authentication.UNAUTHENTICATED);
        });
    assertThat(p.routes().get(0).authorizations()).isEmpty();
    assertThat(p.routes().get(0).rank("POST", "/anything")).isGreaterThanOrEqualTo(0);
  }

  @Test
  void http1_and_http2_answers_carry_routes_too_and_opaque_none() {
    for (ProxyProtocol.Builder proto :
        List.of(
            ProxyProtocol.newBuilder()
                .setHttp1(ProxyProtocol.Http1.newBuilder().addRoutes(PROBE_ROUTE)),
            ProxyProtocol.newBuilder()
                .setHttp2(ProxyProtocol.Http2.newBuilder().addRoutes(PROBE_ROUTE)))) {
      assertThat(InboundPolicy.of(Server.newBuilder().setProtocol(proto).build()).routes())
          .extracting(HttpRoutePolicy::name)
          .containsExactly("probe");
    }
    Server opaque =
        Server.newBuilder()
            .setProtocol(
                ProxyProtocol.newBuilder().setOpaque(ProxyProtocol.Opaque.getDefaultInstance()))
            .build();
    assertThat(InboundPolicy.of(opaque).routes()).isEmpty();
  }

  @Test
  void a_match_this_proxy_cannot_evaluate_never_matches() {
    HttpRoute r =
        HttpRoute.newBuilder()
            .addAuthorizations(PROBE)
            .addRules(
                HttpRoute.Rule.newBuilder()
                    .addMatches(
                        HttpRouteMatch.newBuilder().setPath(PathMatch.newBuilder().setRegex("/.*")))
                    .addMatches(
                        HttpRouteMatch.newBuilder()
                            .setPath(PathMatch.newBuilder().setExact("/h"))
                            .addHeaders(HeaderMatch.newBuilder().setName("x").setExact("y"))))
            .build();
    Server s =
        Server.newBuilder()
            .setProtocol(
                ProxyProtocol.newBuilder()
                    .setDetect(ProxyProtocol.Detect.newBuilder().addHttpRoutes(r)))
            .build();
    HttpRoutePolicy route = InboundPolicy.of(s).routes().getFirst();
    assertThat(route.rank("GET", "/h")).isEqualTo(-1);
    assertThat(route.rank("GET", "/anything")).isEqualTo(-1);
  }
}
