package dev.portolan.proxy.connection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.http.HttpContext;
import dev.portolan.proxy.http1.Http1Upstreams;
import dev.portolan.proxy.http2.Http2Upstreams;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.relay.IdleHandler;
import dev.portolan.proxy.relay.Relayer;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.Route;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that closes while its first message is incomplete (a killed slowloris attacker, or a
 * client that half-closes after a few bytes) must leave detection at its FIN, not at the deadline:
 * the accepted sockets allow half-closure, so the FIN is an event and no channelInactive comes.
 */
class ClosedInDetectionTest {
  // Far beyond the test's patience: leaving detection at the deadline would fail it.
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final int CLIENTS = 40;

  private final Metrics metrics = new Metrics();
  private final DetectionGate gate = new DetectionGate(1024, metrics.gauge("tcp_detecting"));
  private final Queue<String> upstreamGot = new ConcurrentLinkedQueue<>();
  private EventLoopGroup loops;
  private ServerSocket upstream;
  private Channel listener;

  @BeforeEach
  void start() throws Exception {
    loops = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    // The application: reads to the client's FIN, answers how much it got, closes.
    upstream = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread.ofVirtual()
        .start(() -> {
          while (!upstream.isClosed()) {
            try {
              Socket s = upstream.accept();
              Thread.ofVirtual()
                  .start(() -> {
                    try (s) {
                      String got = new String(s.getInputStream().readAllBytes(), US_ASCII);
                      upstreamGot.add(got);
                      s.getOutputStream().write(("got " + got.length()).getBytes(US_ASCII));
                    } catch (Exception e) {
                      upstreamGot.add("error: " + e);
                    }
                  });
            } catch (Exception closed) {
              return;
            }
          }
        });
    InetSocketAddress app =
        new InetSocketAddress(InetAddress.getLoopbackAddress(), upstream.getLocalPort());
    P2c balancer = new P2c();
    Duration connect = Duration.ofSeconds(2);
    Duration idle = Duration.ofSeconds(60);
    ProxyConnection.Settings settings =
        new ProxyConnection.Settings(
            "outbound",
            Duration.ofSeconds(30), // no server-first race within the test
            connect,
            idle,
            metrics,
            new ServerFirstCache(16, Duration.ofMinutes(1)),
            balancer,
            new HttpProxies(
                new HttpContext("outbound", balancer, metrics),
                new Http1Upstreams(connect, idle, metrics),
                new Http2Upstreams(connect, idle, metrics)),
            Relayer.NETTY,
            null,
            gate);
    Route route = new Route(app, new Handling.Detect(DEADLINE), "app");
    listener =
        new ServerBootstrap()
            .group(loops)
            .channel(EpollServerSocketChannel.class)
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true) // as ProxyMain's listeners
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(new IdleHandler(idle))
                        .addLast(
                            new ProxyConnection(
                                settings, c -> CompletableFuture.completedFuture(route)));
                  }
                })
            .bind(InetAddress.getLoopbackAddress(), 0)
            .sync()
            .channel();
  }

  @AfterEach
  void stop() throws Exception {
    listener.close().sync();
    upstream.close();
    loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
  }

  @Test
  void clients_closed_with_a_partial_request_leave_detection_at_once() throws Exception {
    List<Socket> clients = new ArrayList<>();
    try {
      for (int i = 0; i < CLIENTS; i++) {
        Socket c = new Socket();
        c.connect(listener.localAddress());
        c.getOutputStream().write("GET /slow".getBytes(US_ASCII)); // no end of request line
        clients.add(c);
      }
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(gate.size()).isEqualTo(CLIENTS));
      assertThat(metrics.value("tcp_detecting")).isEqualTo(CLIENTS);
    } finally {
      for (Socket c : clients) {
        c.close();
      }
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> {
          assertThat(gate.size()).isZero();
          assertThat(metrics.value("tcp_detecting")).isZero();
        });
    // Relayed as TCP with what was read, as Linkerd does at EOF in detection.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(upstreamGot).hasSize(CLIENTS));
    assertThat(upstreamGot).allMatch("GET /slow"::equals);
    assertThat(metrics.value("outbound_tcp_detect_results_total", "result", "eof"))
        .isEqualTo(CLIENTS);
  }

  @Test
  void a_half_close_in_detection_reaches_the_application_and_its_answer_comes_back()
      throws Exception {
    try (Socket c = new Socket()) {
      c.connect(listener.localAddress());
      c.getOutputStream().write("GET /par".getBytes(US_ASCII));
      await().atMost(Duration.ofSeconds(10)).until(() -> gate.size() == 1);
      c.shutdownOutput();
      c.setSoTimeout(10_000);
      InputStream in = c.getInputStream();
      assertThat(new String(in.readAllBytes(), US_ASCII)).isEqualTo("got 8");
    }
    assertThat(gate.size()).isZero();
  }

  @Test
  void a_client_that_half_closes_without_a_byte_is_relayed_with_its_fin() throws Exception {
    try (Socket c = new Socket()) {
      c.connect(listener.localAddress());
      await().atMost(Duration.ofSeconds(10)).until(() -> gate.size() == 1);
      c.shutdownOutput();
      c.setSoTimeout(10_000);
      assertThat(new String(c.getInputStream().readAllBytes(), US_ASCII)).isEqualTo("got 0");
    }
    assertThat(gate.size()).isZero();
  }

  private static final java.nio.charset.Charset US_ASCII = StandardCharsets.US_ASCII;
}
