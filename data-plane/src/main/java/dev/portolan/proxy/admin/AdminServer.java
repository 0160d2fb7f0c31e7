package dev.portolan.proxy.admin;

import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.IoTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/** {@code /metrics} (Prometheus text), {@code /ready}, {@code /live} on its own event loop. */
public final class AdminServer {
  private AdminServer() {}

  public static Channel start(
      EventLoopGroup group,
      IoTransport io,
      String host,
      int port,
      Metrics metrics,
      BooleanSupplier ready)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(group)
        .channel(io.serverChannel())
        .childHandler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(new HttpServerCodec())
                    .addLast(new HttpObjectAggregator(8192))
                    .addLast(
                        new SimpleChannelInboundHandler<FullHttpRequest>() {
                          @Override
                          protected void channelRead0(
                              ChannelHandlerContext ctx, FullHttpRequest req) {
                            String path = req.uri().split("\\?", 2)[0];
                            HttpResponseStatus status = HttpResponseStatus.OK;
                            String body;
                            String type = "text/plain; charset=utf-8";
                            switch (path) {
                              case "/metrics" -> {
                                body = metrics.render();
                                type = "text/plain; version=0.0.4; charset=utf-8";
                              }
                              case "/live" -> body = "live\n";
                              case "/ready" -> {
                                boolean ok = ready.getAsBoolean();
                                status =
                                    ok
                                        ? HttpResponseStatus.OK
                                        : HttpResponseStatus.SERVICE_UNAVAILABLE;
                                body = ok ? "ready\n" : "not ready\n";
                              }
                              default -> {
                                status = HttpResponseStatus.NOT_FOUND;
                                body = "not found\n";
                              }
                            }
                            var res =
                                new DefaultFullHttpResponse(
                                    HttpVersion.HTTP_1_1,
                                    status,
                                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
                            res.headers()
                                .set(HttpHeaderNames.CONTENT_TYPE, type)
                                .setInt(
                                    HttpHeaderNames.CONTENT_LENGTH, res.content().readableBytes());
                            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
                          }
                        });
              }
            })
        .bind(host, port)
        .sync()
        .channel();
  }
}
