package dev.portolan.proxy.http2;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw HTTP/2 (h2c, prior knowledge) server and client on Netty's frame codec, for what grpc-java
 * does not do on demand: GOAWAY refusing a stream, a reset from the server, a bodyless request.
 */
final class RawH2 {
  private RawH2() {}

  /** What the server does with a request head: {@code connection} counts from 1. */
  interface Behaviour {
    void onHead(
        ChannelHandlerContext ctx, Http2FrameCodec codec, Http2HeadersFrame head, int connection);
  }

  /** A server answering every request head as {@code behaviour} says; returns its address. */
  static InetSocketAddress server(
      EventLoopGroup group, Behaviour behaviour, AtomicInteger connections)
      throws InterruptedException {
    Channel ch =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<EpollSocketChannel>() {
                  @Override
                  protected void initChannel(EpollSocketChannel ch) {
                    int n = connections.incrementAndGet();
                    Http2FrameCodec codec = Http2FrameCodecBuilder.forServer().build();
                    ch.pipeline()
                        .addLast(codec)
                        .addLast(
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Http2HeadersFrame h && h.stream() != null) {
                                  behaviour.onHead(ctx, codec, h, n);
                                }
                                ReferenceCountUtil.release(msg);
                              }
                            });
                  }
                })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
    return (InetSocketAddress) ch.localAddress();
  }

  /** Answers {@code :status 200} with an empty body. */
  static void ok(ChannelHandlerContext ctx, Http2HeadersFrame head) {
    ctx.writeAndFlush(
        new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200"), true)
            .stream(head.stream()));
  }

  /** A client connection to {@code to}. */
  static Channel client(EventLoopGroup group, InetSocketAddress to) throws InterruptedException {
    return new Bootstrap()
        .group(group)
        .channel(EpollSocketChannel.class)
        .handler(
            new ChannelInitializer<EpollSocketChannel>() {
              @Override
              protected void initChannel(EpollSocketChannel ch) {
                ch.pipeline()
                    .addLast(Http2FrameCodecBuilder.forClient().build())
                    .addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
              }
            })
        .connect(to)
        .sync()
        .channel();
  }

  /**
   * Sends a request on a new stream of {@code client} (a body when {@code body} is not null);
   * completes with the final response head ({@link Http2Headers}) or the reset ({@link
   * Http2ResetFrame}) that ended the stream.
   */
  static CompletableFuture<Object> request(Channel client, String method, String body) {
    CompletableFuture<Object> result = new CompletableFuture<>();
    new Http2StreamChannelBootstrap(client)
        .handler(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Http2HeadersFrame h && !result.isDone()) {
                  result.complete(h.headers());
                }
                ReferenceCountUtil.release(msg);
              }

              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof Http2ResetFrame r) { // resets come as events, not reads
                  result.complete(r);
                }
              }

              @Override
              public void channelInactive(ChannelHandlerContext ctx) {
                result.completeExceptionally(new IllegalStateException("stream closed"));
              }
            })
        .open()
        .addListener(f -> {
          if (!f.isSuccess()) {
            result.completeExceptionally(f.cause());
            return;
          }
          Http2StreamChannel s = (Http2StreamChannel) f.getNow();
          Http2Headers h =
              new DefaultHttp2Headers().method(method).scheme("http").authority("svc").path("/");
          s.write(new DefaultHttp2HeadersFrame(h, body == null));
          if (body != null) {
            s.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer(body.getBytes()), true));
          }
          s.flush();
        });
    return result;
  }
}
