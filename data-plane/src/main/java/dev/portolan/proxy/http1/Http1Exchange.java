package dev.portolan.proxy.http1;

import dev.portolan.proxy.balance.P2c;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One HTTP/1 request of an {@link Http1Proxy} and its response: the endpoint pick, the upstream
 * connection it borrowed, and how far each side has come. The upstream connection reports to it
 * ({@link Http1Upstreams#bind}), and it passes that on to its proxy, which ignores an exchange that
 * is no longer its current one.
 */
final class Http1Exchange {
  private final Http1Proxy proxy;
  final HttpRequest request;
  final long start = System.nanoTime();
  final boolean connect;
  P2c.Pending pick;
  @Nullable Channel upstream;
  boolean reused;
  boolean retried;
  boolean redialled;
  boolean requestDone;
  @Nullable HttpResponse response;
  boolean keepClient;
  boolean unflushed;
  // Set once a 101 or CONNECT answer turned this exchange into a tunnel: bytes the upstream
  // codec passes on meanwhile are kept here for the relay.
  @Nullable List<Object> tunnelled;

  Http1Exchange(Http1Proxy proxy, HttpRequest request, P2c balancer, InetSocketAddress endpoint) {
    this.proxy = proxy;
    this.request = request;
    this.connect = HttpMethod.CONNECT.equals(request.method());
    this.pick = balancer.begin(endpoint, start);
  }

  /** The upstream connection, once attached: every response and request body comes after that. */
  Channel attached() {
    return Objects.requireNonNull(upstream, "no upstream connection yet");
  }

  InetSocketAddress endpoint() {
    return pick.endpoint();
  }

  void fromUpstream(Object msg) {
    if (tunnelled != null) {
      Http1Tunnel.keepBytes(msg, tunnelled);
    } else {
      proxy.fromUpstream(this, msg);
    }
  }

  void readComplete() {
    if (tunnelled == null) {
      proxy.upstreamReadComplete(this);
    }
  }

  void upstreamClosed() {
    proxy.upstreamClosed(this);
  }

  /**
   * Decides, from the final response head {@code r}, whether the client's connection is kept after
   * this exchange, and says so in {@code r}'s {@code Connection} header. Keep-alive is hop by hop:
   * the client's connection lives by the client's request (and whether the response can be
   * delimited without closing), not by whether the endpoint keeps its own connection (that one is
   * just not pooled).
   */
  void decideKeepAlive(HttpResponse r, boolean clientEof) {
    int code = r.status().code();
    boolean delimitedByClose =
        !HttpUtil.isContentLengthSet(r)
            && !HttpUtil.isTransferEncodingChunked(r)
            && code != 204
            && code != 304
            && !HttpMethod.HEAD.equals(request.method());
    keepClient = requestDone && HttpUtil.isKeepAlive(request) && !clientEof && !delimitedByClose;
    if (!keepClient) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (r.protocolVersion().equals(HttpVersion.HTTP_1_0)
        || request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    } else {
      r.headers().remove(HttpHeaderNames.CONNECTION);
    }
  }
}
