package dev.portolan.proxy.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.uring.IoUring;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A loop with a long queue of tasks (as under a connect flood, one per accepted connection) reads
 * an established connection's bytes after the quantum, not after the whole queue.
 */
class DataLoopsTest {
  private static final int TASKS = 1_000;

  @Test
  void a_busy_loop_reads_its_sockets_between_queued_tasks() throws Exception {
    for (IoTransport t :
        IoUring.isAvailable()
            ? List.of(IoTransport.IO_URING, IoTransport.EPOLL)
            : List.of(IoTransport.EPOLL)) {
      assertThat(tasksRunBeforeTheRead(t, DataLoops.DEFAULT_TASK_QUANTUM))
          .as(t.label() + ", tasks run before the bytes were read")
          .isLessThan(TASKS / 2);
      // Netty's default quantum, a second: the bytes wait for the whole queue (~200 ms here).
      assertThat(tasksRunBeforeTheRead(t, Duration.ofSeconds(1)))
          .as(t.label() + ", Netty's default")
          .isEqualTo(TASKS);
    }
  }

  /**
   * Queues {@link #TASKS} tasks of 200 µs each on a one-loop group, from the loop itself and with
   * the client's bytes sent right after: how many had run when the server side read them.
   */
  private static int tasksRunBeforeTheRead(IoTransport t, Duration quantum) throws Exception {
    EventLoopGroup group = new DataLoops(1, t.handlers(), quantum);
    try {
      AtomicInteger ran = new AtomicInteger();
      CompletableFuture<Channel> accepted = new CompletableFuture<>();
      CompletableFuture<Integer> readAt = new CompletableFuture<>();
      Channel listener =
          new ServerBootstrap()
              .group(group)
              .channel(t.serverChannel())
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      ch.pipeline()
                          .addLast(
                              new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                  ReferenceCountUtil.release(msg);
                                  readAt.complete(ran.get());
                                }
                              });
                      accepted.complete(ch);
                    }
                  })
              .bind(InetAddress.getLoopbackAddress(), 0)
              .sync()
              .channel();
      try (Socket client = new Socket()) {
        client.connect(listener.localAddress());
        EventLoop loop = accepted.get(10, TimeUnit.SECONDS).eventLoop();
        OutputStream out = client.getOutputStream();
        loop.execute(() -> {
          for (int i = 0; i < TASKS; i++) {
            loop.execute(() -> {
              long end = System.nanoTime() + 200_000;
              while (System.nanoTime() < end) {
                Thread.onSpinWait();
              }
              ran.incrementAndGet();
            });
          }
          try {
            out.write('x');
            out.flush();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
        return readAt.get(10, TimeUnit.SECONDS);
      } finally {
        listener.close().sync();
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }
}
