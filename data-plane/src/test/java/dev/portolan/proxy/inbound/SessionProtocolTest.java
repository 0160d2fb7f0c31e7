package dev.portolan.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.HttpVersion;
import dev.portolan.proxy.route.MeshTarget;
import dev.portolan.proxy.route.Route;
import dev.portolan.proxy.transport.TransportHeader;
import dev.portolan.proxy.transport.TransportHeader.SessionProtocol;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** What a transport header's session protocol and an endpoint's mesh target mean for a route. */
class SessionProtocolTest {
  @Test
  void a_session_protocol_selects_that_codec_without_sniffing_and_none_means_tcp() {
    assertThat(InboundRouter.handlingOf(TransportHeader.opaque(8080))).isEqualTo(Handling.OPAQUE);
    assertThat(InboundRouter.handlingOf(new TransportHeader(8080, "", SessionProtocol.HTTP1)))
        .isEqualTo(new Handling.Codec(HttpVersion.HTTP_1));
    assertThat(InboundRouter.handlingOf(new TransportHeader(8080, "", SessionProtocol.HTTP2)))
        .isEqualTo(new Handling.Codec(HttpVersion.HTTP_2));
  }

  @Test
  void mesh_tls_without_opaque_transport_dials_the_application_port() {
    InetSocketAddress ep = new InetSocketAddress("10.1.0.7", 6379);
    String id = "redis.db.serviceaccount.identity.portolan.cluster.local";
    Route tunnel =
        new Route(ep, Handling.OPAQUE, "t", () -> java.util.List.of(ep), new MeshTarget(id, 4143));
    Route app =
        new Route(
            ep, Handling.OPAQUE, "t", () -> java.util.List.of(ep), MeshTarget.applicationPort(id));
    assertThat(tunnel.dialled()).isEqualTo(new InetSocketAddress("10.1.0.7", 4143));
    assertThat(tunnel.mesh().opaqueTransport()).isTrue();
    assertThat(app.dialled()).isEqualTo(ep);
    assertThat(app.mesh().opaqueTransport()).isFalse();
  }
}
