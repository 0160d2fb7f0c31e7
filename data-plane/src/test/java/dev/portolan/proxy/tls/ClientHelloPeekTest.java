package dev.portolan.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.detect.ClientHello;
import dev.portolan.proxy.identity.TestPki;
import dev.portolan.proxy.identity.TrustAnchors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslProvider;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ClientHelloPeekTest {
  static final String WEB = MeshTlsTest.WEB;

  /** A ClientHello written by the JDK's TLS client. */
  static byte[] jdkHello(String sni, String... alpn) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLSv1.3");
    ctx.init(null, null, null);
    SSLEngine e = ctx.createSSLEngine(sni, 4143);
    e.setUseClientMode(true);
    SSLParameters params = e.getSSLParameters();
    params.setServerNames(List.of(new SNIHostName(sni)));
    params.setApplicationProtocols(alpn);
    e.setSSLParameters(params);
    ByteBuffer out = ByteBuffer.allocate(e.getSession().getPacketBufferSize());
    e.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    byte[] b = new byte[out.remaining()];
    out.get(b);
    return b;
  }

  @Test
  void reads_sni_and_alpn_from_a_jdk_client_hello() throws Exception {
    byte[] hello = jdkHello(WEB, MeshTls.TRANSPORT_ALPN, "h2");
    assertThat(ClientHelloPeek.peek(hello, 0, hello.length))
        .isEqualTo(new ClientHello.Hello(WEB, List.of(MeshTls.TRANSPORT_ALPN, "h2")));
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void a_mesh_client_names_the_expected_identity_and_offers_the_alpn(SslProvider p) {
    TestPki.Ca root = TestPki.root("root");
    String db = MeshTlsTest.DB;
    FakeIdentity id =
        new FakeIdentity(db, TrustAnchors.fromPem(root.pem()))
            .certify(root.leaf(db, Duration.ofHours(1)).asIdentity(db, 1));
    try (MeshTls tls = MeshTls.create(id, p)) {
      assertThat(firstFlight(tls, true))
          .isEqualTo(new ClientHello.Hello(WEB, List.of(MeshTls.TRANSPORT_ALPN)));
      assertThat(firstFlight(tls, false)).isEqualTo(new ClientHello.Hello(WEB, List.of()));
    }
  }

  private static ClientHello.Result firstFlight(MeshTls tls, boolean transport) {
    EmbeddedChannel ch = new EmbeddedChannel();
    tls.client(ch, WEB, 4143, transport).addFirst(ch.pipeline());
    ByteBuf out = Unpooled.buffer();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      out.writeBytes(b);
      b.release();
    }
    int before = out.readerIndex();
    ClientHello.Result r = ClientHelloPeek.peek(out);
    assertThat(out.readerIndex()).isEqualTo(before); // a peek, not a read
    out.release();
    ch.finishAndReleaseAll();
    return r;
  }

  @Test
  void every_prefix_asks_for_more_and_the_whole_decides() throws Exception {
    byte[] hello = jdkHello(WEB, "h2");
    for (int n = 0; n < hello.length; n++) {
      assertThat(ClientHelloPeek.peek(hello, 0, n))
          .as("prefix %d", n)
          .isInstanceOf(ClientHello.NeedMore.class);
    }
    ByteBuf direct = Unpooled.directBuffer().writeBytes(hello).writeBytes(new byte[] {1, 2, 3});
    assertThat(ClientHelloPeek.peek(direct)).isEqualTo(new ClientHello.Hello(WEB, List.of("h2")));
    direct.release();
  }

  @Test
  void a_hello_split_over_several_records_is_reassembled() throws Exception {
    byte[] hello = jdkHello(WEB, MeshTls.TRANSPORT_ALPN);
    byte[] body = Arrays.copyOfRange(hello, 5, hello.length);
    ByteBuf split = Unpooled.buffer();
    for (int off = 0; off < body.length; off += 100) {
      int n = Math.min(100, body.length - off);
      split.writeByte(22).writeByte(3).writeByte(1).writeShort(n).writeBytes(body, off, n);
    }
    byte[] b = ByteBufUtil.getBytes(split);
    split.release();
    assertThat(ClientHelloPeek.peek(b, 0, b.length))
        .isEqualTo(new ClientHello.Hello(WEB, List.of(MeshTls.TRANSPORT_ALPN)));
    assertThat(ClientHelloPeek.peek(b, 0, b.length - 1)).isInstanceOf(ClientHello.NeedMore.class);
  }

  @Test
  void other_bytes_are_no_client_hello() throws Exception {
    assertThat(peek("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo(new ClientHello.NotClientHello("record type 71, not handshake (22)"));
    assertThat(peek(new byte[] {22, 3, 9})).isInstanceOf(ClientHello.NotClientHello.class);
    assertThat(peek(new byte[] {22, 3, 1, 0, 0}))
        .isEqualTo(new ClientHello.NotClientHello("record length 0"));
    // A ServerHello (handshake type 2).
    assertThat(peek(new byte[] {22, 3, 3, 0, 4, 2, 0, 0, 0}))
        .isEqualTo(new ClientHello.NotClientHello("handshake message type 2, not 1"));
    // A ClientHello announcing more than the cap.
    assertThat(peek(new byte[] {22, 3, 1, 0, 4, 1, 0, 0x50, 0}))
        .isInstanceOf(ClientHello.NotClientHello.class);
    // Truncated inside: the lengths do not add up.
    byte[] hello = jdkHello(WEB, "h2");
    hello[5 + 4 + 2 + 32] = (byte) 200; // session id length past the end
    assertThat(peek(hello)).isEqualTo(new ClientHello.NotClientHello("malformed ClientHello"));
  }

  @Property(tries = 500)
  void never_throws_on_arbitrary_bytes(
      @ForAll @Size(max = 600) byte[] tail, @ForAll boolean tlsStart) {
    byte[] b = tail;
    if (tlsStart) {
      b = new byte[tail.length + 3];
      b[0] = 22;
      b[1] = 3;
      b[2] = 1;
      System.arraycopy(tail, 0, b, 3, tail.length);
    }
    assertThat(ClientHelloPeek.peek(b, 0, b.length)).isNotNull();
  }

  @Property(tries = 500)
  void never_throws_on_a_damaged_client_hello(
      @ForAll @IntRange(min = 0, max = 10_000) int at, @ForAll byte value) throws Exception {
    byte[] hello = jdkHello(WEB, MeshTls.TRANSPORT_ALPN);
    hello[at % hello.length] = value;
    assertThat(ClientHelloPeek.peek(hello, 0, hello.length)).isNotNull();
  }

  private static ClientHello.Result peek(byte[] b) {
    return ClientHelloPeek.peek(b, 0, b.length);
  }
}
