package dev.portolan.proxy.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProtocolClassifierTest {
  static Detection classify(String s) {
    return ProtocolClassifier.classify(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "POST /submit HTTP/1.0\r\n",
        "CONNECT example.org:443 HTTP/1.1\r\n",
        "OPTIONS * HTTP/1.1\r\n",
        "PATCH /a?b=c HTTP/1.1\n",
        "GET /a-very-long-path-without-the-version-yet",
        "M-SEARCH * HTTP/1.1\r\n"
      })
  void http1_request_lines(String s) {
    assertThat(classify(s)).isEqualTo(Detection.HTTP1);
  }

  @Test
  void http2_prior_knowledge_preface() {
    assertThat(classify("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).isEqualTo(Detection.HTTP2);
    assertThat(classify("PRI * HTTP/2.0")).isEqualTo(Detection.HTTP2);
    assertThat(classify("PRI * HTTP/2")).isEqualTo(Detection.NEED_MORE);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "*1\r\n$4\r\nPING\r\n", // redis
        "220 mail.example ESMTP\r\n",
        "GET  / HTTP/1.1\r\n", // two spaces
        "GET / HTTP/2.0\r\n", // not HTTP/1
        "GET / HTTP/1.2\r\n",
        "GET / HTTP/1.1X",
        "G(T / HTTP/1.1\r\n",
        " GET / HTTP/1.1\r\n",
        "\u0000\u0001\u0002\u0003garbage",
        "SSH-2.0-OpenSSH_9.2\r\n",
      })
  void everything_else_is_tcp(String s) {
    assertThat(classify(s)).isEqualTo(Detection.TCP);
  }

  @ParameterizedTest
  @ValueSource(strings = {"G", "GE", "GET", "GET ", "GET /", "GET /ab", "PRI *", "P"})
  void short_valid_prefixes_need_more(String s) {
    assertThat(classify(s)).isEqualTo(Detection.NEED_MORE);
  }

  @Test
  void an_endless_method_token_is_tcp() {
    assertThat(classify("A".repeat(40))).isEqualTo(Detection.TCP);
  }

  @Test
  void a_request_line_split_byte_by_byte_is_decided_only_when_valid() {
    byte[] line = "GET /index.html HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    for (int n = 1; n < 14; n++) {
      assertThat(ProtocolClassifier.classify(line, 0, n))
          .as("after %d bytes", n)
          .isEqualTo(Detection.NEED_MORE);
    }
    assertThat(ProtocolClassifier.classify(line, 0, 14)).isEqualTo(Detection.HTTP1);
  }

  @Test
  void an_undecided_http_prefix_gives_up_at_the_cap() {
    byte[] b = ("GET " + "a".repeat(2000)).getBytes(StandardCharsets.US_ASCII);
    // a target has started and there are >= 14 bytes: it is decided as HTTP/1 early
    assertThat(ProtocolClassifier.classify(b, 0, 20)).isEqualTo(Detection.HTTP1);
  }

  @Test
  void tls_client_hello_from_the_jdk_with_sni() throws Exception {
    byte[] hello = clientHello("db.shop.svc.cluster.local");
    assertThat(ProtocolClassifier.classify(hello))
        .isEqualTo(new Detection.Tls("db.shop.svc.cluster.local"));
    for (int n = 1; n < 6; n++) {
      assertThat(ProtocolClassifier.classify(hello, 0, n)).isEqualTo(Detection.NEED_MORE);
    }
    // truncated inside the record: wait for the rest
    assertThat(ProtocolClassifier.classify(hello, 0, hello.length - 1))
        .isEqualTo(Detection.NEED_MORE);
  }

  @Test
  void tls_without_sni_and_non_hello_records() throws Exception {
    byte[] hello = clientHello(null);
    assertThat(ProtocolClassifier.classify(hello)).isEqualTo(new Detection.Tls(null));
    byte[] alert = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    assertThat(ProtocolClassifier.classify(alert)).isEqualTo(Detection.TCP);
    byte[] notHello = {0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0, 0, 0};
    assertThat(ProtocolClassifier.classify(notHello)).isEqualTo(Detection.TCP);
  }

  @Test
  void a_corrupt_client_hello_is_tls_without_a_name_never_an_exception() throws Exception {
    byte[] hello = clientHello("x.example");
    for (int i = 9; i < hello.length; i += 7) {
      byte[] broken = hello.clone();
      broken[i] = (byte) 0xff;
      Detection d = ProtocolClassifier.classify(broken);
      assertThat(d).isInstanceOf(Detection.Tls.class);
    }
  }

  /**
   * The bound on what detection holds per connection: a client that trickles a valid prefix one
   * byte at a time (slowloris) is decided by the caps, however long it keeps going.
   */
  @Test
  void a_trickled_prefix_is_decided_by_the_buffer_caps() {
    // An HTTP/1 method that never ends, and a target that never ends: TCP by HTTP_CAP at the
    // latest.
    for (String start : new String[] {"G", "GET /"}) {
      byte[] b = new byte[ProtocolClassifier.HTTP_CAP + 1];
      int decidedAt = -1;
      for (int len = 1; len <= b.length && decidedAt < 0; len++) {
        b[len - 1] = len <= start.length() ? (byte) start.charAt(len - 1) : (byte) 'a';
        if (ProtocolClassifier.classify(b, 0, len) != Detection.NEED_MORE) {
          decidedAt = len;
        }
      }
      assertThat(decidedAt).as(start).isBetween(1, ProtocolClassifier.HTTP_CAP);
    }
    // A TLS record announcing 64 KiB: TLS without a name once TLS_CAP bytes have come.
    byte[] tls = new byte[ProtocolClassifier.TLS_CAP];
    tls[0] = 0x16;
    tls[1] = 0x03;
    tls[2] = 0x03;
    tls[3] = (byte) 0xff;
    tls[4] = (byte) 0xff;
    tls[5] = 0x01;
    assertThat(ProtocolClassifier.classify(tls, 0, tls.length - 1)).isEqualTo(Detection.NEED_MORE);
    assertThat(ProtocolClassifier.classify(tls)).isEqualTo(new Detection.Tls(null));
    // The HTTP/2 preface and a partial request line (the slowloris of the bed test) wait for more,
    // as a real slow client needs; the cap on connections in detection bounds how many do.
    assertThat(ProtocolClassifier.classify("PRI * HTTP/2".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(Detection.NEED_MORE);
    assertThat(ProtocolClassifier.classify("GET /slow".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(Detection.NEED_MORE);
  }

  @Property(tries = 2000)
  void never_throws_and_always_answers(@ForAll byte[] bytes) {
    Detection d = ProtocolClassifier.classify(bytes);
    assertThat(d).isNotNull();
    if (bytes.length >= ProtocolClassifier.TLS_CAP) {
      assertThat(d).isNotEqualTo(Detection.NEED_MORE);
    }
  }

  static byte[] clientHello(String sni) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, null, null);
    SSLEngine engine = ctx.createSSLEngine();
    engine.setUseClientMode(true);
    SSLParameters p = engine.getSSLParameters();
    p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
    engine.setSSLParameters(p);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.beginHandshake();
    engine.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    return Arrays.copyOf(out.array(), out.limit());
  }
}
