package dev.portolan.proxy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.uring.IoUring;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loopback leg's congestion control on real loopback sockets, read back with {@code
 * getsockopt(TCP_CONGESTION)}, on each transport the kernel offers.
 */
@Timeout(30)
class LoopbackLegTest {
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    LoopbackLeg.use("reno");
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  @Test
  void the_setting_is_an_algorithm_name_or_kernel_and_a_bad_value_is_named() {
    assertThat(LoopbackLeg.parse(null)).isEqualTo("reno");
    assertThat(LoopbackLeg.parse(" ")).isEqualTo("reno");
    assertThat(LoopbackLeg.parse(" Cubic ")).isEqualTo("cubic");
    assertThat(LoopbackLeg.parse("kernel")).isEmpty();
    assertThatThrownBy(() -> LoopbackLeg.parse("bbr;rm"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "PORTOLAN_LOOPBACK_CONGESTION: 'bbr;rm' is not a congestion control name (reno,"
                + " cubic, …) or kernel");
    assertThatThrownBy(() -> LoopbackLeg.parse("a_name_far_too_long"))
        .hasMessageStartingWith("PORTOLAN_LOOPBACK_CONGESTION: 'a_name_far_too_long'");
  }

  @Test
  void accepted_and_dialled_loopback_sockets_use_the_algorithm_and_other_targets_do_not()
      throws Exception {
    for (IoTransport t : transports()) {
      EventLoopGroup loop = loop(t);
      assertThat(LoopbackLeg.of(accepted(loop, t))).as(t.label()).isEqualTo("reno");
      assertThat(LoopbackLeg.of(dialled(loop))).as(t.label()).isEqualTo("reno");
      // A target off this host (the pod-to-pod leg) keeps the node's choice. Nothing is sent: the
      // socket is tuned, or not, before it would connect.
      Channel unconnected = t.socketChannel().getConstructor().newInstance();
      loop.register(unconnected).sync();
      LoopbackLeg.dialling(unconnected, new InetSocketAddress("192.0.2.1", 6379));
      assertThat(LoopbackLeg.of(unconnected)).isEqualTo(nodeDefault());
      unconnected.close().sync();
    }
  }

  @Test
  void kernel_keeps_the_node_default() throws Exception {
    LoopbackLeg.use(LoopbackLeg.parse("kernel"));
    IoTransport t = IoTransport.choose("auto");
    EventLoopGroup loop = loop(t);
    assertThat(LoopbackLeg.of(accepted(loop, t))).isEqualTo(nodeDefault());
    assertThat(LoopbackLeg.of(dialled(loop))).isEqualTo(nodeDefault());
  }

  @Test
  void an_algorithm_the_kernel_refuses_leaves_the_default_and_connections_still_work()
      throws Exception {
    LoopbackLeg.use("nosuchcc");
    IoTransport t = IoTransport.choose("auto");
    EventLoopGroup loop = loop(t);
    Channel accepted = accepted(loop, t);
    assertThat(accepted.isActive()).isTrue();
    assertThat(LoopbackLeg.of(accepted)).isEqualTo(nodeDefault());
    Channel dialled = dialled(loop);
    assertThat(dialled.isActive()).isTrue();
    assertThat(LoopbackLeg.of(dialled)).isEqualTo(nodeDefault());
  }

  private static List<IoTransport> transports() {
    return IoUring.isAvailable()
        ? List.of(IoTransport.IO_URING, IoTransport.EPOLL)
        : List.of(IoTransport.EPOLL);
  }

  private static String nodeDefault() throws Exception {
    return Files.readString(Path.of("/proc/sys/net/ipv4/tcp_congestion_control")).strip();
  }

  private EventLoopGroup loop(IoTransport t) {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, t.handlers());
    open.add(() -> group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync());
    return group;
  }

  /** A connection accepted by a tuned listener on 127.0.0.1 from a plain client socket. */
  private Channel accepted(EventLoopGroup loop, IoTransport t) throws Exception {
    CompletableFuture<Channel> child = new CompletableFuture<>();
    Channel listener =
        new ServerBootstrap()
            .group(loop)
            .channel(t.serverChannel())
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    child.complete(ch);
                  }
                })
            .bind(InetAddress.getLoopbackAddress(), 0)
            .sync()
            .channel();
    open.add(() -> listener.close().sync());
    LoopbackLeg.listener(listener);
    Socket client = new Socket();
    open.add(client);
    client.connect(listener.localAddress());
    return child.get(10, TimeUnit.SECONDS);
  }

  /** A connection the proxy's dial opens to a plain server socket on 127.0.0.1. */
  private Channel dialled(EventLoopGroup loop) throws Exception {
    ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    open.add(server);
    InetSocketAddress target = (InetSocketAddress) server.getLocalSocketAddress();
    Channel ch =
        IoTransport.dial(loop.next(), Duration.ofSeconds(5))
            .connect(target, c -> c.pipeline().addLast(new ChannelInboundHandlerAdapter()))
            .sync()
            .channel();
    open.add(() -> ch.close().sync());
    open.add(server.accept());
    return ch;
  }
}
