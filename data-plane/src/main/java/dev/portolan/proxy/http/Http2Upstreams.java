package dev.portolan.proxy.http;

import dev.portolan.proxy.metrics.Metrics;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/2 (prior knowledge) connections to endpoints: one per endpoint and event loop, carrying
 * every stream the loop's clients send there. A connection that received GOAWAY, closed or failed
 * to connect is replaced on the next request. Streams beyond the server's concurrency limit wait in
 * the connection's buffering encoder rather than fail.
 */
public final class Http2Upstreams {
  private final Metrics metrics;
  private final Duration connectTimeout;
  private final Duration idleTimeout;
  private final FastThreadLocal<Map<InetSocketAddress, ChannelFuture>> connections =
      new FastThreadLocal<>() {
        @Override
        protected Map<InetSocketAddress, ChannelFuture> initialValue() {
          return new HashMap<>();
        }
      };

  public Http2Upstreams(Duration connectTimeout, Duration idleTimeout, Metrics metrics) {
    this.metrics = metrics;
    this.connectTimeout = connectTimeout;
    this.idleTimeout = idleTimeout;
  }

  /**
   * Opens a stream to {@code a} whose frames go to {@code handler} (the stream does not read until
   * asked: AUTO_READ is off). Call on {@code loop}.
   */
  Future<Http2StreamChannel> open(
      EventLoop loop, InetSocketAddress a, ChannelHandler handler, String direction) {
    Map<InetSocketAddress, ChannelFuture> byEndpoint = connections.get();
    ChannelFuture c = byEndpoint.get(a);
    if (c == null || (c.isDone() && (!c.isSuccess() || !c.channel().isActive()))) {
      c = connect(loop, a);
      Handoff.opened(metrics, direction, a, "http/2");
      byEndpoint.put(a, c);
    }
    Promise<Http2StreamChannel> stream = loop.newPromise();
    ChannelFuture conn = c;
    conn.addListener(f -> {
      if (!f.isSuccess()) {
        byEndpoint.remove(a, conn);
        stream.setFailure(f.cause());
        return;
      }
      new Http2StreamChannelBootstrap(conn.channel())
          .option(ChannelOption.AUTO_READ, false)
          .handler(handler)
          .open(stream);
    });
    return stream;
  }

  private ChannelFuture connect(EventLoop loop, InetSocketAddress a) {
    return Handoff.dial(loop, connectTimeout)
        .handler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(new IdleStateHandler(0, 0, idleTimeout.toSeconds(), TimeUnit.SECONDS))
                    .addLast(
                        Http2FrameCodecBuilder.forClient()
                            .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
                            .encoderEnforceMaxConcurrentStreams(true)
                            .build())
                    .addLast(new Retire(a))
                    .addLast(new Http2MultiplexHandler(new Refuse()));
              }
            })
        .connect(a);
  }

  /**
   * Takes a connection out of use once the server sends GOAWAY (before the multiplexer fails the
   * streams it refused, so their retries open a new connection) or it goes idle.
   */
  private final class Retire extends ChannelInboundHandlerAdapter {
    private final InetSocketAddress a;

    Retire(InetSocketAddress a) {
      this.a = a;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2GoAwayFrame) {
        forget(ctx.channel());
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) {
        forget(ctx.channel());
        ctx.close();
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      forget(ctx.channel());
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }

    private void forget(Channel ch) {
      Map<InetSocketAddress, ChannelFuture> byEndpoint = connections.get();
      ChannelFuture current = byEndpoint.get(a);
      if (current != null && current.channel() == ch) {
        byEndpoint.remove(a);
      }
    }
  }

  /** Server push is disabled in our SETTINGS; a pushed stream is closed at once. */
  @ChannelHandler.Sharable
  private static final class Refuse extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }
  }
}
