package dev.portolan.proxy.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

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

  /**
   * Why a connection to {@code endpoint} failed, in the words of the error-text table in
   * docs/proxy.md: {@code connect to 10.0.0.7:80 failed: connection refused}.
   */
  public static String connectFailed(InetSocketAddress endpoint, @Nullable Throwable cause) {
    return "connect to " + address(endpoint) + " failed: " + describe(cause);
  }

  /**
   * What happened, in words: never an exception class name. The kernel's and Netty's messages are
   * mapped to a few phrases; anything else keeps its message (or says "connection failed").
   */
  public static String describe(@Nullable Throwable cause) {
    if (cause == null) {
      return "connection closed";
    }
    String m = cause.getMessage() == null ? "" : cause.getMessage().toLowerCase(Locale.ROOT);
    if (m.contains("refused")) {
      return "connection refused";
    }
    if (cause instanceof ConnectTimeoutException
        || cause instanceof SocketTimeoutException
        || m.contains("timed out")) {
      return "timeout";
    }
    if (m.contains("reset")) {
      return "connection reset by the upstream";
    }
    if (cause instanceof NoRouteToHostException || m.contains("no route")) {
      return "no route to host";
    }
    if (m.contains("unreachable")) {
      return "network unreachable";
    }
    if (cause instanceof ClosedChannelException || m.contains("closed")) {
      return "connection closed";
    }
    String own = cause.getMessage();
    return own == null || own.isBlank() ? "connection failed" : oneLine(own);
  }

  /** {@code 10.0.0.7:80}, {@code [fd00::7]:80}: no leading slash, no host name lookup. */
  public static String address(InetSocketAddress a) {
    if (a.getAddress() == null) {
      return a.getHostString() + ":" + a.getPort();
    }
    String h = a.getAddress().getHostAddress();
    return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + a.getPort();
  }

  /** A reason can quote what a peer sent: never more than one header line. */
  private static String oneLine(String reason) {
    return reason.replaceAll("[\\r\\n]", " ");
  }
}
