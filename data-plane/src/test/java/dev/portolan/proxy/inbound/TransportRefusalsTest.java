package dev.portolan.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.PortSet;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.EarlyBytes;
import dev.portolan.proxy.tls.MeshTlsEvent;
import dev.portolan.proxy.tls.MeshTlsSession;
import dev.portolan.proxy.transport.TransportHeader;
import dev.portolan.proxy.transport.TransportHeaderCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Refusals on 4143 after a verified handshake, without sockets: what the header reader and the port
 * guard decide, and that no byte is handed on to the app when they refuse.
 */
class TransportRefusalsTest {
  final List<String> outcomes = new ArrayList<>();

  EmbeddedChannel verified() {
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new TransportReader(
                Duration.ofSeconds(5),
                new TransportReader.Outcome() {
                  @Override
                  public void header(ChannelHandlerContext ctx, TransportHeader h) {
                    outcomes.add("header:" + h.port());
                  }

                  @Override
                  public void refused(ChannelHandlerContext ctx, String reason, String detail) {
                    outcomes.add("refused:" + reason);
                  }
                }));
    ch.pipeline()
        .fireUserEventTriggered(
            new MeshTlsEvent.Established(
                new MeshTlsSession(
                    true, "web.shop", "transport.l5d.io/v1", "TLSv1.3", "TLS_AES_128_GCM_SHA256")));
    return ch;
  }

  @Test
  void a_truncated_header_is_refused_and_nothing_is_handed_on() {
    byte[] h = TransportHeaderCodec.encode(TransportHeader.opaque(6379));
    EmbeddedChannel ch = verified();
    ch.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOf(h, h.length - 2)));
    assertThat(outcomes).isEmpty();
    ch.close();
    assertThat(outcomes).containsExactly("refused:header_truncated");
    assertThat(EarlyBytes.take(ch)).isNull();
  }

  @Test
  void a_header_over_the_cap_is_refused_before_it_is_read() {
    ByteBuf b = Unpooled.buffer();
    b.writeBytes(TransportHeaderCodec.PREFACE);
    b.writeBytes(ByteBuffer.allocate(4).putInt(TransportHeaderCodec.MAX_HEADER + 1).array());
    EmbeddedChannel ch = verified();
    ch.writeInbound(b);
    assertThat(outcomes).containsExactly("refused:header_invalid");
    assertThat(ch.isActive()).isFalse();
    assertThat(EarlyBytes.take(ch)).isNull();
  }

  @Test
  void a_good_header_is_decoded_and_the_bytes_after_it_are_kept_for_the_app() {
    byte[] h = TransportHeaderCodec.encode(TransportHeader.opaque(6379));
    byte[] both = Arrays.copyOf(h, h.length + 4);
    System.arraycopy("PING".getBytes(), 0, both, h.length, 4);
    EmbeddedChannel ch = verified();
    ch.writeInbound(Unpooled.wrappedBuffer(both));
    assertThat(outcomes).containsExactly("header:6379");
    ByteBuf early = EarlyBytes.take(ch);
    assertThat(early).isNotNull();
    assertThat(early.toString(java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PING");
    early.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void headers_naming_a_proxy_port_or_a_skipped_port_are_refused() {
    InboundRouter router =
        new InboundRouter(
            null, new Metrics(), 4143, 4140, 4191, null, PortSet.of(7000), Duration.ofSeconds(1));
    assertThat(router.forbidden(TransportHeader.opaque(4143))).isEqualTo("proxy_port");
    assertThat(router.forbidden(TransportHeader.opaque(4140))).isEqualTo("proxy_port");
    assertThat(router.forbidden(TransportHeader.opaque(4190))).isEqualTo("proxy_port");
    assertThat(router.forbidden(TransportHeader.opaque(4191))).isEqualTo("proxy_port");
    assertThat(router.forbidden(TransportHeader.opaque(7000))).isEqualTo("skipped_port");
    assertThat(router.forbidden(TransportHeader.opaque(6379))).isNull();
  }
}
