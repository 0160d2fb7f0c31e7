package dev.portolan.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.api.inbound.ProxyProtocol;
import dev.portolan.api.inbound.Server;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.HttpVersion;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A port's {@code proxyProtocol} becomes the data path's {@link Handling} once, here. */
class InboundHandlingTest {
  @Test
  void opaque_and_tls_are_relayed_as_bytes() {
    assertThat(
            Discovery.policy(
                server(
                    ProxyProtocol.newBuilder()
                        .setOpaque(ProxyProtocol.Opaque.getDefaultInstance()))))
        .isEqualTo(Handling.OPAQUE);
    assertThat(
            Discovery.policy(
                server(ProxyProtocol.newBuilder().setTls(ProxyProtocol.Tls.getDefaultInstance()))))
        .isEqualTo(Handling.OPAQUE);
  }

  @Test
  void detect_keeps_the_policy_timeout_and_an_empty_protocol_detects_for_10s() {
    ProxyProtocol.Builder detect =
        ProxyProtocol.newBuilder()
            .setDetect(
                ProxyProtocol.Detect.newBuilder()
                    .setTimeout(
                        com.google.protobuf.Duration.newBuilder()
                            .setSeconds(3)
                            .setNanos(500_000_000)));
    assertThat(Discovery.policy(server(detect)))
        .isEqualTo(new Handling.Detect(Duration.ofMillis(3_500)));
    assertThat(Discovery.policy(Server.getDefaultInstance()))
        .isEqualTo(new Handling.Detect(Duration.ofSeconds(10)));
  }

  @Test
  void declared_http_goes_to_its_codec_and_grpc_is_http2() {
    assertThat(
            Discovery.policy(
                server(
                    ProxyProtocol.newBuilder().setHttp1(ProxyProtocol.Http1.getDefaultInstance()))))
        .isEqualTo(new Handling.Codec(HttpVersion.HTTP_1));
    assertThat(
            Discovery.policy(
                server(
                    ProxyProtocol.newBuilder().setHttp2(ProxyProtocol.Http2.getDefaultInstance()))))
        .isEqualTo(new Handling.Codec(HttpVersion.HTTP_2));
    assertThat(
            Discovery.policy(
                server(
                    ProxyProtocol.newBuilder().setGrpc(ProxyProtocol.Grpc.getDefaultInstance()))))
        .isEqualTo(new Handling.Codec(HttpVersion.HTTP_2));
  }

  private static Server server(ProxyProtocol.Builder protocol) {
    return Server.newBuilder().setProtocol(protocol).build();
  }
}
