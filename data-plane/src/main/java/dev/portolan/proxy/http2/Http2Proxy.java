package dev.portolan.proxy.http2;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.http.Draining;
import dev.portolan.proxy.http.Handoff;
import dev.portolan.proxy.http.HttpContext;
import dev.portolan.proxy.http.HttpMeters;
import dev.portolan.proxy.http.InboundAccess;
import dev.portolan.proxy.route.Route;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.net.InetSocketAddress;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Proxies a client's HTTP/2 connection stream by stream (docs/design/detection.md,
 * docs/design/outbound.md): every stream (request) picks its endpoint by P2C over peak-EWMA and
 * becomes a stream on the loop's shared HTTP/2 connection to that endpoint ({@link Http2Exchange}).
 * Frames are copied at the frame level, without a channel per stream: a DATA frame's window is
 * given back to its sender only once the frame was written to the other side, so HTTP/2 flow
 * control reaches from the server back to the client. Resets cross in both directions; gRPC
 * (trailers, long-lived streams) needs nothing special.
 *
 * <p>When the endpoint cannot be reached the stream gets a {@code 502} with {@code l5d-proxy-error}
 * (after one try at another endpoint, as nothing was sent yet); when it fails mid-stream the
 * client's stream is reset.
 */
public final class Http2Proxy extends Http2Side {
  private final IntObjectMap<Http2Exchange> exchanges = new IntObjectHashMap<>();
  private final Route route;
  final P2c balancer;
  private final Http2Upstreams upstreams;
  final HttpMeters meters;
  private final String direction;
  private final boolean inbound;

  private Http2Proxy(
      Http2ConnectionDecoder d,
      Http2ConnectionEncoder e,
      Http2Settings s,
      Route route,
      HttpContext shared,
      Http2Upstreams upstreams) {
    super(d, e, s);
    this.route = route;
    this.balancer = shared.balancer();
    this.upstreams = upstreams;
    this.meters = new HttpMeters(shared.metrics(), shared.direction(), route.target());
    this.direction = shared.direction();
    this.inbound = "inbound".equals(direction);
    d.frameListener(new Frames());
    connection()
        .addListener(
            new Http2ConnectionAdapter() {
              @Override
              public void onStreamClosed(Http2Stream stream) {
                Http2Exchange x = exchanges.remove(stream.id());
                if (x != null) {
                  x.clientClosed();
                }
              }
            });
  }

  /**
   * Serves {@code client} as HTTP/2 (prior knowledge); {@code detected} holds the bytes read during
   * detection, or null (ownership passes). Call on the channel's event loop, with the detecting
   * handler already out of the pipeline.
   */
  public static void install(
      Channel client,
      @Nullable ByteBuf detected,
      Route route,
      HttpContext shared,
      Http2Upstreams upstreams) {
    Http2Proxy proxy = new Builder(route, shared, upstreams).make();
    client.config().setAllocator(FrameBuffers.INSTANCE);
    client
        .pipeline()
        .addLast("h2-batch", new WriteBatch())
        .addLast("h2-codec", proxy)
        .addLast("h2-end", new CloseOnEof());
    Handoff.replay(client, detected);
    // HTTP/2 windows bound what the connection may receive, and a window is given back only once
    // its bytes were written on: reading the connection freely holds no more than those windows.
    client.config().setAutoRead(true);
  }

  /**
   * The proxy shuts down ({@link Draining}): GOAWAY to the client, whose open streams are served
   * on; the connection closes once they are done, or when the grace is over.
   */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof Draining d) {
      gracefulShutdownTimeoutMillis(d.grace().toMillis());
      // Through the channel, not ctx: the close has to pass this handler (Http2ConnectionHandler
      // turns it into GOAWAY and a wait for the open streams).
      ctx.channel().close();
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  InetSocketAddress pick() {
    // Route.endpoints() is never empty (it falls back to the original destination).
    return Objects.requireNonNull(balancer.pick(route.endpoints().get(), a -> a), "no endpoint");
  }

  @Nullable InetSocketAddress pickOther(InetSocketAddress failed) {
    return balancer.pickOther(route.endpoints().get(), failed);
  }

  Http2Upstream upstreams(InetSocketAddress endpoint) {
    return upstreams.get(
        context().channel().eventLoop(), endpoint, route.meshFor(endpoint), direction);
  }

  /** Request frames, to the exchange of their stream (a new one for a new stream). */
  private final class Frames extends StreamFrames {
    @Override
    public void onHeadersRead(
        ChannelHandlerContext ctx, int id, Http2Headers headers, int padding, boolean end) {
      Http2Exchange x = exchanges.get(id);
      if (x == null) {
        if (connection().stream(id) == null) {
          return; // closed meanwhile (a reset in the same read)
        }
        x = new Http2Exchange(Http2Proxy.this, id);
        exchanges.put(id, x);
        String refused =
            inbound
                ? InboundAccess.refused(
                    ctx.channel(), String.valueOf(headers.method()), String.valueOf(headers.path()))
                : null;
        if (refused != null) {
          x.forbidden(refused);
          return;
        }
      }
      if (inbound) {
        InboundAccess.rewrite(headers, InboundAccess.clientId(ctx.channel()));
      }
      x.requestHeaders(headers, end);
    }

    @Override
    public int onDataRead(
        ChannelHandlerContext ctx, int id, ByteBuf data, int padding, boolean end) {
      Http2Exchange x = exchanges.get(id);
      int bytes = data.readableBytes() + padding;
      if (x == null || !x.requestData(data, bytes, end)) {
        return bytes; // dropped: its window back at once
      }
      return 0; // given back once written upstream (Http2Side#data)
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int id, long errorCode) {
      Http2Exchange x = exchanges.get(id);
      if (x != null) {
        x.clientReset(errorCode); // the stream closes next: onStreamClosed
      }
    }
  }

  private static final class Builder
      extends AbstractHttp2ConnectionHandlerBuilder<Http2Proxy, Builder> {
    private final Route route;
    private final HttpContext shared;
    private final Http2Upstreams upstreams;

    Builder(Route route, HttpContext shared, Http2Upstreams upstreams) {
      this.route = route;
      this.shared = shared;
      this.upstreams = upstreams;
      connection(newConnection(true));
      // As Http2FrameCodec: closing does not wait for open streams to finish (GOAWAY, close).
      gracefulShutdownTimeoutMillis(0);
    }

    Http2Proxy make() {
      return build();
    }

    @Override
    protected Http2Proxy build(
        Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
      return new Http2Proxy(decoder, encoder, settings, route, shared, upstreams);
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
