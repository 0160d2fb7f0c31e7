package dev.portolan.proxy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.uring.IoUring;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TcpInfoTest {
  @Test
  void counts_the_bytes_the_kernel_received_before_the_proxy_reads_them() throws Exception {
    for (IoTransport t :
        IoUring.isAvailable()
            ? List.of(IoTransport.IO_URING, IoTransport.EPOLL)
            : List.of(IoTransport.EPOLL)) {
      EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, t.handlers());
      try {
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        Channel listener =
            new ServerBootstrap()
                .group(group)
                .channel(t.serverChannel())
                // Nothing is read: the bytes stay in the socket, as on a loop busy elsewhere.
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(
                    new ChannelInitializer<Channel>() {
                      @Override
                      protected void initChannel(Channel ch) {
                        accepted.complete(ch);
                      }
                    })
                .bind(InetAddress.getLoopbackAddress(), 0)
                .sync()
                .channel();
        try (Socket client = new Socket()) {
          client.connect(listener.localAddress());
          Channel ch = accepted.get(10, TimeUnit.SECONDS);
          assertThat(TcpInfo.bytesReceived(ch)).as(t.label() + ", silent").isZero();

          OutputStream out = client.getOutputStream();
          out.write("GET /slow".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          await()
              .atMost(Duration.ofSeconds(10))
              .untilAsserted(
                  () -> assertThat(TcpInfo.bytesReceived(ch)).as(t.label()).isEqualTo(9));

          ch.close().sync();
          assertThat(TcpInfo.bytesReceived(ch)).as(t.label() + ", closed").isEqualTo(-1);
        } finally {
          listener.close().sync();
        }
      } finally {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
      }
    }
  }
}
