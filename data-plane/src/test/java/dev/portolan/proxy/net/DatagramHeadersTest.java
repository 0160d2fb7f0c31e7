package dev.portolan.proxy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The io_uring loops' datagram header pool is shrunk, and the loop still carries TCP. */
class DatagramHeadersTest {
  @Test
  void each_io_uring_handler_keeps_a_pool_of_one_and_still_serves() throws Exception {
    assumeTrue(IoUring.isAvailable(), "io_uring is not available here (CI has it)");
    AtomicReference<IoHandler> made = new AtomicReference<>();
    IoHandlerFactory shrinking = IoTransport.IO_URING.handlers();
    IoHandlerFactory recording =
        executor -> {
          IoHandler h = shrinking.newHandler(executor);
          made.set(h);
          return h;
        };
    MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, recording);
    try {
      assertThat(made.get()).isInstanceOf(IoUringIoHandler.class);
      assertThat(DatagramHeaders.capacity(made.get()))
          .as("Netty's pool of 1,024 replaced (if -1: Netty renamed its internals)")
          .isEqualTo(1);

      // An echo over loopback on that loop: TCP is untouched by the pool's size.
      Channel server =
          new ServerBootstrap()
              .group(group)
              .channel(IoTransport.IO_URING.serverChannel())
              .childHandler(
                  new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                      ctx.writeAndFlush(msg);
                    }
                  })
              .bind(new InetSocketAddress("127.0.0.1", 0))
              .sync()
              .channel();
      CompletableFuture<String> echoed = new CompletableFuture<>();
      Channel client =
          new Bootstrap()
              .group(group)
              .channel(IoTransport.IO_URING.socketChannel())
              .handler(
                  new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                      ByteBuf b = (ByteBuf) msg;
                      echoed.complete(b.toString(StandardCharsets.US_ASCII));
                      b.release();
                    }
                  })
              .connect(server.localAddress())
              .sync()
              .channel();
      client.writeAndFlush(Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII));
      assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("ping");
      client.close().sync();
      server.close().sync();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void a_handler_of_another_transport_is_left_alone() {
    assertThat(DatagramHeaders.shrink(new FakeHandler())).isFalse();
  }

  /** Not an io_uring handler. */
  private static final class FakeHandler implements IoHandler {
    @Override
    public int run(io.netty.channel.IoHandlerContext context) {
      return 0;
    }

    @Override
    public void wakeup() {}

    @Override
    public io.netty.channel.IoRegistration register(io.netty.channel.IoHandle handle) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean isCompatible(Class<? extends io.netty.channel.IoHandle> handleType) {
      return false;
    }
  }
}
