package dev.portolan.proxy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.NetNs;
import dev.portolan.proxy.testbed.Sh;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
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
import org.junit.jupiter.api.Test;

class OriginalDestinationTest {
  @Test
  void a_connection_that_was_not_redirected_reports_the_kernels_enoent_and_falls_back_to_local()
      throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      CompletableFuture<EpollSocketChannel> accepted = new CompletableFuture<>();
      Channel server =
          new ServerBootstrap()
              .group(group)
              .channel(EpollServerSocketChannel.class)
              .childHandler(
                  new ChannelInitializer<EpollSocketChannel>() {
                    @Override
                    protected void initChannel(EpollSocketChannel ch) {
                      accepted.complete(ch);
                    }
                  })
              .bind("127.0.0.1", 0)
              .sync()
              .channel();
      Channel client =
          new Bootstrap()
              .group(group)
              .channel(EpollSocketChannel.class)
              .handler(new ChannelInboundHandlerAdapter())
              .connect(server.localAddress())
              .sync()
              .channel();
      EpollSocketChannel ch = accepted.get(5, TimeUnit.SECONDS);

      // ENOENT, in the C library's words (the proxy runs in the C locale).
      assertThatThrownBy(() -> OriginalDestination.of(ch, false))
          .isInstanceOf(OriginalDestination.NotRedirectedException.class)
          .hasMessageContaining("No such file or directory");
      InetSocketAddress local = ch.localAddress();
      assertThat(OriginalDestination.orLocal(ch, local)).isEqualTo(local);
      assertThat(
              OriginalDestination.isDirect(
                  local, ((InetSocketAddress) server.localAddress()).getPort()))
          .isTrue();
      client.close().sync();
      server.close().sync();
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
    }
  }

  @Test
  void a_redirected_connection_reports_where_it_was_going() throws Exception {
    Sh.assumeRootWith("ip", "iptables");
    try (NetNs ns = new NetNs("portolan-odst")) {
      ns.run(
          "iptables",
          "-t",
          "nat",
          "-A",
          "OUTPUT",
          "-p",
          "tcp",
          "--dport",
          "8080",
          "-j",
          "REDIRECT",
          "--to-ports",
          "4143");
      try (JavaProcess probe = JavaProcess.start(ns.exec(), OriginalDstProbe.class, "4143")) {
        probe.awaitLine("listening");
        ns.run("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080; exec 3<&-");
        assertThat(probe.awaitLine("redirected")).isEqualTo("redirected 127.0.0.1:8080");
      }
      try (JavaProcess probe = JavaProcess.start(ns.exec(), OriginalDstProbe.class, "4143")) {
        probe.awaitLine("listening");
        ns.run("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/4143; exec 3<&-");
        assertThat(probe.awaitLine("direct")).isEqualTo("direct 127.0.0.1:4143");
      }
    }
  }

  @Test
  void a_redirected_ipv6_connection_reports_where_it_was_going() throws Exception {
    Sh.assumeRootWith("ip", "ip6tables");
    try (NetNs ns = new NetNs("portolan-odst6")) {
      ns.run(
          "ip6tables",
          "-t",
          "nat",
          "-A",
          "OUTPUT",
          "-p",
          "tcp",
          "--dport",
          "8080",
          "-j",
          "REDIRECT",
          "--to-ports",
          "4143");
      try (JavaProcess probe = JavaProcess.start(ns.exec(), OriginalDstProbe.class, "4143")) {
        probe.awaitLine("listening");
        ns.run("bash", "-c", "exec 3<>/dev/tcp/::1/8080; exec 3<&-");
        assertThat(probe.awaitLine("redirected")).isEqualTo("redirected 0:0:0:0:0:0:0:1:8080");
      }
    }
  }
}
