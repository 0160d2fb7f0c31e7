package dev.portolan.proxy.http1;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.http.Draining;
import dev.portolan.proxy.http.Handoff;
import dev.portolan.proxy.http.HttpContext;
import dev.portolan.proxy.http.HttpMeters;
import dev.portolan.proxy.http.InboundAccess;
import dev.portolan.proxy.http.ProxyErrors;
import dev.portolan.proxy.route.Route;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Proxies one client's HTTP/1.x connection request by request (docs/design/detection.md,
 * docs/design/outbound.md): every request picks its endpoint by P2C over peak-EWMA and borrows a
 * kept-alive connection to it, so one client connection spreads over all endpoints. Requests are
 * served one at a time in arrival order (pipelined requests wait, decoded, until the previous
 * response is complete), bodies and responses stream with backpressure (the next read is requested
 * when the previous write is done), and a 101 or a successful CONNECT turns both connections into a
 * byte relay.
 *
 * <p>Errors the proxy answers itself: 400 for a request that does not parse, 502 when the endpoint
 * cannot be reached or closes before answering (a request without a body that met a kept-alive
 * connection closing under it is retried once on a new connection). Each carries {@code
 * l5d-proxy-error} with the reason and closes the client connection.
 */
public final class Http1Proxy extends ChannelInboundHandlerAdapter {
  private final Route route;
  private final P2c balancer;
  private final Http1Upstreams upstreams;
  private final HttpMeters meters;
  private static final String INBOUND = "inbound";
  private final String direction;
  private final ArrayDeque<Object> queue = new ArrayDeque<>();
  private final Channel client;
  private @Nullable Http1Exchange ex;
  private boolean writing;
  private boolean clientEof;
  private boolean closing;
  // The proxy shuts down: the response in progress (or the next) is the connection's last.
  private boolean draining;

  private Http1Proxy(Channel client, Route route, HttpContext shared, Http1Upstreams upstreams) {
    this.client = client;
    this.route = route;
    this.balancer = shared.balancer();
    this.upstreams = upstreams;
    this.meters = new HttpMeters(shared.metrics(), shared.direction(), route.target());
    this.direction = shared.direction();
  }

  /**
   * Serves {@code client} as HTTP/1; {@code detected} holds the bytes read during detection, or
   * null (ownership passes). Call on the channel's event loop, with the detecting handler already
   * out of the pipeline.
   */
  public static void install(
      Channel client,
      @Nullable ByteBuf detected,
      Route route,
      HttpContext shared,
      Http1Upstreams upstreams) {
    Http1Proxy proxy = new Http1Proxy(client, route, shared, upstreams);
    client.pipeline().addLast("http1-codec", new HttpServerCodec());
    client.pipeline().addLast("http1-proxy", proxy);
    if (!Handoff.replay(client, detected)) {
      client.read();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    queue.add(msg);
    pump();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // A read may end inside a message: ask for more while a request is wanted.
    if (!writing) {
      maybeRead();
    }
  }

  /** Moves queued client messages along as far as the current state allows. */
  private void pump() {
    boolean wrote = false;
    while (!closing) {
      if (ex == null) {
        Object m = queue.poll();
        if (m == null) {
          break;
        }
        if (m instanceof HttpRequest r) {
          begin(r);
        } else {
          ReferenceCountUtil.release(m); // the rest of a request that was already refused
        }
        continue;
      }
      if (ex.upstream == null || ex.requestDone) {
        break; // connecting, or waiting for the response
      }
      Object m = queue.poll();
      if (m == null) {
        break;
      }
      if (m instanceof HttpContent c) {
        if (c.decoderResult().isFailure()) {
          c.release();
          refuse(HttpResponseStatus.BAD_REQUEST, "malformed request body");
          return;
        }
        ex.requestDone = m instanceof LastHttpContent;
        ex.upstream.write(m);
        wrote = true;
      } else {
        ReferenceCountUtil.release(m);
      }
    }
    if (wrote && ex != null) {
      writing = true;
      Http1Exchange e = ex;
      e.attached()
          .writeAndFlush(Unpooled.EMPTY_BUFFER)
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    writing = false;
                    if (!f.isSuccess()) {
                      e.attached().close(); // reported through upstreamClosed
                    } else {
                      maybeRead();
                    }
                  });
    } else if (!writing) {
      maybeRead();
    }
  }

  private void maybeRead() {
    if (closing || !queue.isEmpty() || clientEof) {
      return;
    }
    if (ex == null || (ex.upstream != null && !ex.requestDone)) {
      client.read();
    }
  }

  private void begin(HttpRequest r) {
    if (r.decoderResult().isFailure()) {
      refuse(
          HttpResponseStatus.BAD_REQUEST,
          "malformed request: " + ProxyErrors.describe(r.decoderResult().cause()));
      return;
    }
    if (INBOUND.equals(direction)) {
      String refused = InboundAccess.refused(client, r.method().name(), r.uri());
      if (refused != null) {
        meters.request();
        answer(HttpResponseStatus.FORBIDDEN, refused);
        return;
      }
      InboundAccess.rewrite(r.headers(), InboundAccess.clientId(client));
    }
    meters.request();
    ex =
        new Http1Exchange(
            this,
            r,
            balancer,
            // Route.endpoints() is never empty (it falls back to the original destination).
            Objects.requireNonNull(balancer.pick(route.endpoints().get(), a -> a), "no endpoint"));
    connect(ex);
  }

  /** A kept-alive connection to the exchange's endpoint if one is idle, else a new one. */
  private void connect(Http1Exchange e) {
    Channel idle = upstreams.poll(e.endpoint(), route.meshFor(e.endpoint()));
    if (idle != null) {
      attach(e, idle, true);
    } else {
      dial(e);
    }
  }

  private void dial(Http1Exchange e) {
    upstreams
        .connect(client.eventLoop(), e.endpoint(), route.meshFor(e.endpoint()), direction)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (ex != e || closing) {
                    f.channel().close();
                  } else if (!f.isSuccess()) {
                    connectFailed(e, f.cause());
                  } else {
                    attach(e, f.channel(), false);
                  }
                });
  }

  /**
   * Nothing of the request was sent, so it can go elsewhere: once, to another endpoint, with the
   * failed one penalised; otherwise 502.
   */
  private void connectFailed(Http1Exchange e, Throwable cause) {
    InetSocketAddress failed = e.endpoint();
    InetSocketAddress other =
        e.redialled ? null : balancer.pickOther(route.endpoints().get(), failed);
    if (other == null) {
      fail(e, ProxyErrors.connectFailed(failed, cause));
      return;
    }
    e.redialled = true;
    e.pick.failed();
    e.pick = balancer.begin(other, e.start);
    connect(e);
  }

  private void attach(Http1Exchange e, Channel upstream, boolean reused) {
    e.upstream = upstream;
    e.reused = reused;
    Http1Upstreams.bind(upstream, e);
    upstream.write(e.request);
    if (e.requestDone) {
      upstream.write(LastHttpContent.EMPTY_LAST_CONTENT); // a retry of a request without a body
    }
    upstream.flush();
    upstream.read();
    pump();
  }

  /** What the upstream connection of exchange {@code e} decoded. */
  void fromUpstream(Http1Exchange e, Object msg) {
    if (ex != e || closing) {
      ReferenceCountUtil.release(msg); // an exchange that is over
    } else {
      onResponse(e, msg);
    }
  }

  void upstreamClosed(Http1Exchange e) {
    if (ex == e && !closing) {
      onUpstreamClosed(e);
    }
  }

  private void onResponse(Http1Exchange e, Object msg) {
    if (msg instanceof HttpObject h && h.decoderResult().isFailure()) {
      ReferenceCountUtil.release(msg);
      e.attached().close();
      if (e.response == null) {
        fail(e, "malformed response from " + ProxyErrors.address(e.endpoint()));
      } else {
        client.close();
      }
      return;
    }
    if (msg instanceof HttpResponse r) {
      int code = r.status().code();
      boolean tunnel = code == 101 || (e.connect && code / 100 == 2);
      if (code / 100 == 1 && !tunnel) {
        toClient(msg, e); // interim (100 Continue): the final response follows
        return;
      }
      e.response = r;
      e.pick.answered();
      record(code, e);
      if (tunnel) {
        tunnel(e, r);
        return;
      }
      e.decideKeepAlive(r, clientEof || draining);
      toClient(msg, e);
      return;
    }
    if (e.response == null) {
      ReferenceCountUtil.release(msg); // end of an interim response
      return;
    }
    if (msg instanceof LastHttpContent) {
      finish(e, (LastHttpContent) msg);
    } else {
      toClient(msg, e);
    }
  }

  /**
   * Response parts are written as they are decoded and flushed once per upstream read (see {@link
   * #upstreamReadComplete}); the upstream is read again only while the client keeps up.
   */
  private void toClient(Object msg, Http1Exchange e) {
    client.write(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    e.unflushed = true;
  }

  void upstreamReadComplete(Http1Exchange e) {
    if (ex != e || closing) {
      return;
    }
    if (e.unflushed) {
      e.unflushed = false;
      client.flush();
    }
    if (client.isWritable()) {
      e.attached().read();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Http1Exchange e = ex;
    if (e != null && e.upstream != null && client.isWritable()) {
      e.upstream.read();
    }
    ctx.fireChannelWritabilityChanged();
  }

  /** The response is complete: return the upstream, then serve the next request or close. */
  private void finish(Http1Exchange e, LastHttpContent last) {
    ex = null;
    Http1Upstreams.bind(e.attached(), null);
    boolean clean = e.requestDone && HttpUtil.isKeepAlive(e.response);
    if (clean && HttpUtil.isKeepAlive(e.request)) {
      upstreams.offer(e.attached());
    } else {
      e.attached().close();
    }
    boolean keepClient = e.keepClient && !clientEof && !draining;
    ChannelFuture done = client.writeAndFlush(last);
    if (!keepClient) {
      closing = true;
      releaseQueue();
      done.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    writing = true;
    done.addListener(
        (ChannelFutureListener)
            f -> {
              writing = false;
              if (!f.isSuccess()) {
                client.close();
              } else if (draining && queue.isEmpty()) {
                closing = true; // the proxy shuts down and this connection is idle now
                client.close();
              } else {
                pump(); // a pipelined request may be waiting
              }
            });
  }

  private void onUpstreamClosed(Http1Exchange e) {
    if (e.response != null) {
      client.close(); // cut in the middle of a response: nothing honest to add
      return;
    }
    boolean bodyless =
        !HttpUtil.isTransferEncodingChunked(e.request)
            && HttpUtil.getContentLength(e.request, 0) == 0;
    if (e.reused && !e.retried && e.requestDone && bodyless) {
      // A kept-alive connection the server closed as we reused it: try once on a fresh one.
      e.retried = true;
      e.upstream = null;
      dial(e);
      return;
    }
    fail(e, "connection to " + ProxyErrors.address(e.endpoint()) + " closed before a response");
  }

  /** No response can come: answer 502 ourselves and close. */
  private void fail(Http1Exchange e, String reason) {
    e.pick.failed();
    record(502, e);
    answer(HttpResponseStatus.BAD_GATEWAY, reason);
  }

  /** The client sent something we cannot pass on. */
  private void refuse(HttpResponseStatus status, String reason) {
    if (ex != null) {
      ex.pick.abandoned();
      if (ex.upstream != null) {
        ex.upstream.close();
      }
    }
    answer(status, reason);
  }

  private void answer(HttpResponseStatus status, String reason) {
    ex = null;
    closing = true;
    releaseQueue();
    client
        .writeAndFlush(ProxyErrors.http1(status, reason))
        .addListener(ChannelFutureListener.CLOSE);
  }

  /** 101 Switching Protocols, or 2xx to CONNECT: from here on, bytes (see {@link Http1Tunnel}). */
  private void tunnel(Http1Exchange e, HttpResponse r) {
    closing = true; // this handler's HTTP work is over
    e.tunnelled = new ArrayList<>();
    releaseQueue();
    Http1Tunnel.open(client, e.attached(), r, e.tunnelled, upstreams.idleTimeout());
  }

  private void record(int code, Http1Exchange e) {
    meters.response(code, code >= 500);
    meters.latency(e.start);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      clientEof = true; // answer what was asked, then close
      if (ex == null && queue.isEmpty()) {
        client.close();
      }
    } else if (evt instanceof IdleStateEvent) {
      client.close();
    } else if (evt instanceof Draining) {
      // Shutting down: an idle keep-alive connection closes now; a busy one answers its request
      // with Connection: close and closes after it (finish). Requests pipelined behind it are not
      // served: a client retries those, as after any keep-alive close.
      draining = true;
      if (ex == null && queue.isEmpty() && !writing) { // else finish closes it
        closing = true;
        client.close();
      }
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    releaseQueue();
    Http1Exchange e = ex;
    ex = null;
    if (e != null) {
      e.pick.abandoned();
      if (e.upstream != null) {
        e.upstream.close();
      }
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  private void releaseQueue() {
    for (Object m; (m = queue.poll()) != null; ) {
      ReferenceCountUtil.release(m);
    }
  }
}
