package dev.portolan.proxy.http;

import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.IoTransport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.util.function.Consumer;

/**
 * A loopback listener (on the group's transport) whose accepted connections are handed, once
 * active, to an HTTP proxy's {@code install} — as the detecting handler does in the proxy, minus
 * detection.
 */
public final class Listener {
  private Listener() {}

  public static Channel start(EventLoopGroup group, Consumer<Channel> install)
      throws InterruptedException {
    return start(group, 0, install);
  }

  /** The same on a given port (0: any). */
  public static Channel start(EventLoopGroup group, int port, Consumer<Channel> install)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(group)
        .channel(IoTransport.of(group.next()).serverChannel())
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childHandler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline()
                    .addLast(
                        new ChannelInboundHandlerAdapter() {
                          @Override
                          public void channelActive(ChannelHandlerContext ctx) {
                            ctx.pipeline().remove(this);
                            install.accept(ctx.channel());
                          }
                        });
              }
            })
        .bind("127.0.0.1", port)
        .sync()
        .channel();
  }

  /** A family of the tests' route ({@code svc:80}, outbound), with more labels if given. */
  public static long value(Metrics metrics, String family, String... more) {
    return metrics.value(family, Metrics.plus(Metrics.src("outbound", "svc:80"), more));
  }

  /** {@code response_total} of the tests' route. */
  public static long responses(Metrics metrics, int status, String classification) {
    return value(
        metrics,
        "response_total",
        "status_code",
        Integer.toString(status),
        "classification",
        classification);
  }
}
