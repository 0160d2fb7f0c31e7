package dev.portolan.proxy.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.transport.TransportHeaderCodec.Result;
import java.util.Arrays;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class TransportHeaderCodecTest {
  @Test
  void port_8080_without_name_or_protocol_encodes_to_the_reference_bytes() {
    byte[] bytes = TransportHeaderCodec.encode(TransportHeader.opaque(8080));
    assertThat(Arrays.copyOf(bytes, 23)).isEqualTo(TransportHeaderCodec.PREFACE);
    assertThat(HexFormat.of().formatHex(bytes, 23, bytes.length)).isEqualTo("00000003" + "08903f");
  }

  @Test
  void decodes_across_any_split_and_leaves_application_bytes() {
    byte[] header =
        TransportHeaderCodec.encode(
            new TransportHeader(3306, "", TransportHeader.SessionProtocol.HTTP2));
    byte[] all = Arrays.copyOf(header, header.length + 5);
    System.arraycopy("hello".getBytes(), 0, all, header.length, 5);
    for (int n = 0; n < header.length; n++) {
      assertThat(TransportHeaderCodec.decode(all, 0, n))
          .as("after %d bytes", n)
          .isInstanceOf(Result.NeedMore.class);
    }
    Result r = TransportHeaderCodec.decode(all, 0, all.length);
    assertThat(r)
        .isEqualTo(
            new Result.Decoded(
                new TransportHeader(3306, "", TransportHeader.SessionProtocol.HTTP2),
                header.length));
  }

  @Test
  void a_wrong_preface_is_rejected_as_soon_as_it_diverges() {
    byte[] b = "GET / HTTP/1.1\r\n".getBytes();
    assertThat(TransportHeaderCodec.decode(b, 0, 1)).isInstanceOf(Result.Invalid.class);
  }

  @Test
  void length_over_the_cap_is_rejected_without_waiting_for_the_body() {
    byte[] b = Arrays.copyOf(TransportHeaderCodec.PREFACE, 27);
    b[23] = 0x00;
    b[24] = 0x01;
    b[25] = 0x00;
    b[26] = 0x01; // 65537
    assertThat(TransportHeaderCodec.decode(b, 0, b.length)).isInstanceOf(Result.Invalid.class);
  }

  @Test
  void port_zero_is_invalid_and_a_name_is_a_refused_gateway_request() {
    assertThat(TransportHeaderCodec.decode(enc(0, ""), 0, enc(0, "").length))
        .isInstanceOf(Result.Invalid.class);
    byte[] gw = enc(80, "web.ns.svc.cluster.local");
    assertThat(TransportHeaderCodec.decode(gw, 0, gw.length))
        .isEqualTo(new Result.GatewayRefused("web.ns.svc.cluster.local"));
  }

  @Test
  void garbage_body_is_invalid() {
    byte[] b = Arrays.copyOf(TransportHeaderCodec.PREFACE, 30);
    b[26] = 3;
    b[27] = (byte) 0xff;
    b[28] = (byte) 0xff;
    b[29] = (byte) 0xff;
    assertThat(TransportHeaderCodec.decode(b, 0, b.length)).isInstanceOf(Result.Invalid.class);
  }

  @Property
  void round_trips(@ForAll @IntRange(min = 1, max = 65535) int port) {
    byte[] b = TransportHeaderCodec.encode(TransportHeader.opaque(port));
    assertThat(TransportHeaderCodec.decode(b, 0, b.length))
        .isEqualTo(new Result.Decoded(TransportHeader.opaque(port), b.length));
  }

  private static byte[] enc(int port, String name) {
    return TransportHeaderCodec.encode(new TransportHeader(port, name, null));
  }
}
