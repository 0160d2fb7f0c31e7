package dev.portolan.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;

/**
 * Responses the proxy gives itself (a 502 when the endpoint cannot be reached, a 400 for a request
 * that does not parse), each with the reason in {@code l5d-proxy-error}, as Linkerd's proxy does.
 */
public final class ProxyErrors {
  public static final String HEADER = "l5d-proxy-error";

  private ProxyErrors() {}

  /** An HTTP/1.1 response that closes the connection, the reason also as its text body. */
  public static FullHttpResponse http1(HttpResponseStatus status, String reason) {
    String text = oneLine(reason);
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            status,
            Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8));
    r.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
        .set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes())
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
        .set(HEADER, text);
    return r;
  }

  /** The head of an HTTP/2 response without a body. */
  public static Http2Headers http2(HttpResponseStatus status, String reason) {
    return new DefaultHttp2Headers()
        .status(status.codeAsText())
        .set("content-length", "0")
        .set(HEADER, oneLine(reason));
  }

  /** A reason can quote what a peer sent: never more than one header line. */
  private static String oneLine(String reason) {
    return reason.replaceAll("[\\r\\n]", " ");
  }
}
