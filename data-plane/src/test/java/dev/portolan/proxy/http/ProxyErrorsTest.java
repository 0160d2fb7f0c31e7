package dev.portolan.proxy.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

/**
 * {@code l5d-proxy-error} says what happened in words (docs/proxy.md, error texts), never an
 * exception class.
 */
class ProxyErrorsTest {
  private static final InetSocketAddress EP = new InetSocketAddress("10.0.0.7", 80);

  @Test
  void a_real_refused_connect_reads_connection_refused() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    InetSocketAddress closed = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    IOException refused = null;
    try (Socket c = new Socket()) {
      c.connect(closed);
    } catch (IOException e) {
      refused = e;
    }
    assertThat(refused).isInstanceOf(ConnectException.class);
    String text = header(ProxyErrors.connectFailed(closed, refused));
    assertThat(text).isEqualTo("connect to 127.0.0.1:" + port + " failed: connection refused");
  }

  @Test
  void timeout_reset_unreachable_and_closed_each_have_their_words() {
    assertThat(
            ProxyErrors.connectFailed(
                EP,
                new ConnectTimeoutException("connection timed out after 3000 ms: /10.0.0.7:80")))
        .isEqualTo("connect to 10.0.0.7:80 failed: timeout");
    assertThat(ProxyErrors.describe(new IOException("Connection reset by peer")))
        .isEqualTo("connection reset by the upstream");
    assertThat(ProxyErrors.describe(new java.net.NoRouteToHostException("No route to host")))
        .isEqualTo("no route to host");
    assertThat(ProxyErrors.describe(new IOException("Network is unreachable")))
        .isEqualTo("network unreachable");
    assertThat(ProxyErrors.describe(new ClosedChannelException())).isEqualTo("connection closed");
    assertThat(ProxyErrors.describe(null)).isEqualTo("connection closed");
    assertThat(ProxyErrors.describe(new IllegalStateException())).isEqualTo("connection failed");
  }

  @Test
  void no_text_names_an_exception_class() {
    for (Throwable t :
        new Throwable[] {
          new ConnectException("finishConnect(..) failed: Connection refused"),
          new ConnectTimeoutException(),
          new ClosedChannelException(),
          new IOException("recvAddress(..) failed: Connection reset by peer"),
          new IllegalArgumentException()
        }) {
      String text = header(ProxyErrors.connectFailed(EP, t));
      assertThat(text).doesNotContain("Exception").doesNotContain("java.").doesNotContain("io.");
      assertThat(ProxyErrors.http2(HttpResponseStatus.BAD_GATEWAY, text).get(ProxyErrors.HEADER))
          .hasToString(text);
    }
  }

  private static String header(String reason) {
    var r = ProxyErrors.http1(HttpResponseStatus.BAD_GATEWAY, reason);
    try {
      return r.headers().get(ProxyErrors.HEADER);
    } finally {
      r.release();
    }
  }
}
