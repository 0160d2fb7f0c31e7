package dev.portolan.proxy.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Run inside a test network namespace: listens on the given port, prints the original destination
 * of the first connection ("direct HOST:PORT" or "redirected HOST:PORT"), exits.
 */
public final class OriginalDstProbe {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    CompletableFuture<String> seen = new CompletableFuture<>();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      Channel server =
          new ServerBootstrap()
              .group(group)
              .channel(EpollServerSocketChannel.class)
              .childHandler(
                  new ChannelInitializer<EpollSocketChannel>() {
                    @Override
                    protected void initChannel(EpollSocketChannel ch) {
                      ch.pipeline()
                          .addLast(
                              new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                  InetSocketAddress local = ch.localAddress();
                                  InetSocketAddress orig = OriginalDestination.orLocal(ch, local);
                                  String kind =
                                      OriginalDestination.isDirect(orig, port)
                                          ? "direct"
                                          : "redirected";
                                  seen.complete(
                                      kind
                                          + " "
                                          + orig.getAddress().getHostAddress()
                                          + ":"
                                          + orig.getPort());
                                  ctx.close();
                                }
                              });
                    }
                  })
              .bind(port)
              .sync()
              .channel();
      System.out.println("listening");
      System.out.flush();
      System.out.println(seen.get(30, TimeUnit.SECONDS));
      server.close().sync();
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }
  }

  private OriginalDstProbe() {}
}
