package dev.portolan.proxy.http;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.relay.Route;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Proxies a client's HTTP/2 connection stream by stream (spec/data-plane.md §2, §3): every stream
 * (request) picks its endpoint by P2C over peak-EWMA and becomes a stream on the loop's shared
 * HTTP/2 connection to that endpoint. Frames are copied one by one, each read asked for when the
 * previous write is done, so HTTP/2 flow control reaches from the server back to the client. Resets
 * cross in both directions; gRPC (trailers, long-lived streams) needs nothing special.
 *
 * <p>When the endpoint cannot be reached the stream gets a {@code 502} with {@code l5d-proxy-error}
 * (after one try at another endpoint, as nothing was sent yet); when it fails mid-stream the
 * client's stream is reset.
 */
public final class Http2Proxy {
  private final Route route;
  private final P2c balancer;
  private final Http2Upstreams upstreams;
  private final HttpMeters meters;
  private final String direction;

  private Http2Proxy(Route route, HttpProxies shared) {
    this.route = route;
    this.balancer = shared.balancer();
    this.upstreams = shared.http2();
    this.meters = new HttpMeters(shared.metrics(), shared.direction(), route.target());
    this.direction = shared.direction();
  }

  /** See {@link HttpProxies#take}. */
  static void install(Channel client, ByteBuf detected, Route route, HttpProxies shared) {
    Http2Proxy proxy = new Http2Proxy(route, shared);
    client
        .pipeline()
        .addLast("h2-codec", Http2FrameCodecBuilder.forServer().build())
        .addLast(
            "h2-mux",
            new Http2MultiplexHandler(
                new ChannelInitializer<Http2StreamChannel>() {
                  @Override
                  protected void initChannel(Http2StreamChannel ch) {
                    ch.config().setAutoRead(false);
                    ch.pipeline().addLast(proxy.new ClientStream());
                  }
                }))
        .addLast("h2-end", new CloseOnEof());
    Handoff.replay(client, detected);
    // Each stream reads only as fast as its peer writes, and HTTP/2 windows bound what the
    // connection itself may receive: reading it freely holds no more than those windows.
    client.config().setAutoRead(true);
  }

  /** One request from the client: its frames, its upstream stream, its metrics. */
  final class ClientStream extends ChannelInboundHandlerAdapter {
    private final List<Object> early = new ArrayList<>(2);
    private Channel self;
    private Channel up;
    private boolean opening;
    private boolean redialled;
    private P2c.Pending pick;
    private long start;
    private int status;
    private boolean responseEnded;
    private boolean requestEnded;
    private boolean discarding;
    // A request that is only headers can be sent again if its stream died before any answer
    // (a GOAWAY racing it, a connection closing under it): once.
    private Http2Headers bodyless;
    private boolean resent;
    private UpstreamStream upstreamReading;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      self = ctx.channel();
      ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2ResetFrame r) {
        if (up != null) {
          up.writeAndFlush(new DefaultHttp2ResetFrame(r.errorCode()));
        }
        ctx.close();
        return;
      }
      if (discarding || (!(msg instanceof Http2HeadersFrame) && !(msg instanceof Http2DataFrame))) {
        // Answered already (502), or not a request frame: consume it, returning its window.
        boolean end = endsStream(msg);
        ReferenceCountUtil.release(msg);
        if (!end) {
          ctx.read();
        }
        return;
      }
      if (up == null) {
        early.add(msg);
        if (!opening) {
          opening = true;
          if (msg instanceof Http2HeadersFrame h && h.isEndStream()) {
            bodyless = h.headers();
          }
          start = System.nanoTime();
          meters.request();
          dial(balancer.pick(route.endpoints().get(), a -> a));
        }
        return; // no more reads until the upstream stream exists
      }
      requestEnded |= endsStream(msg);
      forward(msg, up);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (up != null) {
        up.flush();
        if (!requestEnded && up.isWritable()) {
          ctx.read();
        }
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (up != null && ctx.channel().isWritable() && upstreamReading != null) {
        upstreamReading.resume();
      }
      ctx.fireChannelWritabilityChanged();
    }

    private void dial(InetSocketAddress endpoint) {
      pick = balancer.begin(endpoint, start);
      upstreams
          .open(self.eventLoop(), endpoint, upstreamReading = new UpstreamStream(this), direction)
          .addListener(f -> {
            if (!f.isSuccess()) {
              dialFailed(f.cause());
              return;
            }
            up = (Channel) f.getNow();
            if (!self.isActive()) {
              up.close();
              return;
            }
            up.read();
            for (Object m : early) {
              requestEnded |= endsStream(m);
              up.write(copy(m));
            }
            early.clear();
            up.flush();
            if (!requestEnded) {
              self.read();
            }
          });
    }

    private void dialFailed(Throwable cause) {
      InetSocketAddress failed = pick.endpoint();
      pick.failed();
      InetSocketAddress other =
          redialled ? null : balancer.pickOther(route.endpoints().get(), failed);
      if (other != null && self.isActive()) {
        redialled = true;
        dial(other);
        return;
      }
      boolean ended = early.stream().anyMatch(Http2Proxy::endsStream);
      early.forEach(ReferenceCountUtil::release);
      early.clear();
      discarding = true;
      if (!ended) {
        self.read(); // the rest of the request is read and dropped
      }
      status = 502;
      meters.response(502, true);
      meters.latency(start);
      String reason =
          ("connect to " + failed + " failed: " + cause.getMessage()).replaceAll("[\\r\\n]", " ");
      Http2Headers h =
          new DefaultHttp2Headers()
              .status("502")
              .set("content-length", "0")
              .set("l5d-proxy-error", reason);
      self.writeAndFlush(new DefaultHttp2HeadersFrame(h, true));
    }

    /** A response frame from upstream: metrics on its way to the client. */
    void response(Object msg) {
      if (msg instanceof Http2HeadersFrame h) {
        CharSequence s = h.headers().status();
        if (status == 0 && s != null) {
          int code = parseStatus(s);
          if (code >= 200) {
            status = code;
            pick.answered();
            meters.latency(start);
          }
        }
        if (h.isEndStream()) {
          responseEnded(h.headers());
        }
      } else if (msg instanceof Http2DataFrame d && d.isEndStream()) {
        responseEnded(null);
      }
    }

    private void responseEnded(Http2Headers trailers) {
      if (responseEnded || status == 0) {
        return;
      }
      responseEnded = true;
      CharSequence grpc = trailers == null ? null : trailers.get("grpc-status");
      boolean failure = status >= 500 || (grpc != null && !"0".contentEquals(grpc));
      meters.response(status, failure);
    }

    void upstreamGone(Channel from) {
      if (from != up) {
        return; // a stream already given up on
      }
      if (status == 0 && bodyless != null && !resent && self.isActive()) {
        resent = true;
        pick.abandoned();
        up = null;
        early.add(new DefaultHttp2HeadersFrame(bodyless, true));
        dial(balancer.pick(route.endpoints().get(), a -> a));
        return;
      }
      if (!responseEnded && self != null && self.isActive()) {
        if (status == 0) {
          pick.failed();
          meters.response(502, true);
        }
        self.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM.code()))
            .addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      early.forEach(ReferenceCountUtil::release);
      early.clear();
      if (pick != null) {
        pick.abandoned(); // no-op when it ended already
      }
      if (up != null && up.isActive() && !responseEnded) {
        up.close(); // the client went away: cancel upstream (RST_STREAM CANCEL)
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** The upstream half of one stream. */
  private static final class UpstreamStream extends ChannelInboundHandlerAdapter {
    private final ClientStream client;
    private Channel self;
    private boolean ended;

    UpstreamStream(ClientStream client) {
      this.client = client;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      self = ctx.channel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2ResetFrame) {
        client.upstreamGone(ctx.channel());
        return;
      }
      if (!(msg instanceof Http2HeadersFrame) && !(msg instanceof Http2DataFrame)) {
        ReferenceCountUtil.release(msg);
        ctx.read();
        return;
      }
      client.response(msg);
      ended |= endsStream(msg);
      forward(msg, client.self);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      client.self.flush();
      if (!ended && client.self.isWritable()) {
        ctx.read();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable() && !client.requestEnded) {
        client.self.read();
      }
      ctx.fireChannelWritabilityChanged();
    }

    /** The client can take more: read the next response frames. */
    void resume() {
      if (!ended && self != null) {
        self.read();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      client.upstreamGone(ctx.channel());
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /**
   * Writes a copy of {@code msg} to {@code to}; the flush comes at the end of the read batch, and
   * the next read only while {@code to} is writable (or when it becomes so).
   */
  private static void forward(Object msg, Channel to) {
    to.write(copy(msg)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
  }

  private static boolean endsStream(Object msg) {
    return msg instanceof Http2StreamFrame f
        && ((f instanceof Http2HeadersFrame h && h.isEndStream())
            || (f instanceof Http2DataFrame d && d.isEndStream()));
  }

  /**
   * A frame bound to one stream cannot be written to another: the same headers or content (whose
   * ownership moves with it) in a fresh frame.
   */
  private static Object copy(Object msg) {
    if (msg instanceof Http2HeadersFrame h) {
      return new DefaultHttp2HeadersFrame(h.headers(), h.isEndStream());
    }
    Http2DataFrame d = (Http2DataFrame) msg;
    return new DefaultHttp2DataFrame(d.content(), d.isEndStream());
  }

  private static int parseStatus(CharSequence s) {
    try {
      return Integer.parseInt(s.toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The client's connection half-closed or went idle: close it (streams end with it). */
  private static final class CloseOnEof extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent || evt instanceof IdleStateEvent) {
        ctx.close();
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
