package dev.portolan.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.balance.P2c;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** Keep-alive on the client's side of an HTTP/1 exchange: hop by hop, decided per response. */
class Http1ExchangeTest {
  private static final InetSocketAddress ENDPOINT = new InetSocketAddress("10.0.0.1", 80);

  private static Http1Exchange exchange(HttpVersion version, HttpMethod method, String connection) {
    HttpRequest req = new DefaultHttpRequest(version, method, "/");
    if (connection != null) {
      req.headers().set(HttpHeaderNames.CONNECTION, connection);
    }
    Http1Exchange e = new Http1Exchange(null, req, new P2c(), ENDPOINT);
    e.requestDone = true;
    return e;
  }

  private static HttpResponse response(HttpResponseStatus status, String length, String conn) {
    HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
    if (length != null) {
      r.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
    }
    if (conn != null) {
      r.headers().set(HttpHeaderNames.CONNECTION, conn);
    }
    return r;
  }

  @Test
  void a_delimited_answer_keeps_the_client_even_when_the_endpoint_closes_its_own() {
    Http1Exchange e = exchange(HttpVersion.HTTP_1_1, HttpMethod.GET, null);
    HttpResponse r = response(HttpResponseStatus.OK, "5", "close");
    e.decideKeepAlive(r, false);
    assertThat(e.keepClient).isTrue();
    assertThat(r.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
  }

  @Test
  void an_answer_delimited_by_close_closes_the_client_unless_it_has_no_body() {
    Http1Exchange get = exchange(HttpVersion.HTTP_1_1, HttpMethod.GET, null);
    HttpResponse r = response(HttpResponseStatus.OK, null, null);
    get.decideKeepAlive(r, false);
    assertThat(get.keepClient).isFalse();
    assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");

    Http1Exchange head = exchange(HttpVersion.HTTP_1_1, HttpMethod.HEAD, null);
    head.decideKeepAlive(response(HttpResponseStatus.OK, null, null), false);
    assertThat(head.keepClient).isTrue();
    Http1Exchange notModified = exchange(HttpVersion.HTTP_1_1, HttpMethod.GET, null);
    notModified.decideKeepAlive(response(HttpResponseStatus.NOT_MODIFIED, null, null), false);
    assertThat(notModified.keepClient).isTrue();
  }

  @Test
  void the_client_decides_by_its_request_and_its_own_end() {
    Http1Exchange asksClose = exchange(HttpVersion.HTTP_1_1, HttpMethod.GET, "close");
    asksClose.decideKeepAlive(response(HttpResponseStatus.OK, "0", null), false);
    assertThat(asksClose.keepClient).isFalse();

    Http1Exchange halfClosed = exchange(HttpVersion.HTTP_1_1, HttpMethod.GET, null);
    halfClosed.decideKeepAlive(response(HttpResponseStatus.OK, "0", null), true);
    assertThat(halfClosed.keepClient).isFalse();

    Http1Exchange bodyUnread = exchange(HttpVersion.HTTP_1_1, HttpMethod.POST, null);
    bodyUnread.requestDone = false; // answered before its body was all read
    bodyUnread.decideKeepAlive(response(HttpResponseStatus.OK, "0", null), false);
    assertThat(bodyUnread.keepClient).isFalse();
  }

  @Test
  void an_http_1_0_client_that_asked_for_keep_alive_is_told_so() {
    Http1Exchange e = exchange(HttpVersion.HTTP_1_0, HttpMethod.GET, "keep-alive");
    HttpResponse r = response(HttpResponseStatus.OK, "2", null);
    e.decideKeepAlive(r, false);
    assertThat(e.keepClient).isTrue();
    assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("keep-alive");

    Http1Exchange plain = exchange(HttpVersion.HTTP_1_0, HttpMethod.GET, null);
    plain.decideKeepAlive(response(HttpResponseStatus.OK, "2", null), false);
    assertThat(plain.keepClient).isFalse();
  }
}
