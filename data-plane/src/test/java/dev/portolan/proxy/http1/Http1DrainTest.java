package dev.portolan.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.http.Draining;
import dev.portolan.proxy.http.HttpContext;
import dev.portolan.proxy.http.Listener;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.Route;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/1 proxy told that the proxy shuts down ({@link Draining}): the request in flight is
 * answered with {@code Connection: close} and the connection closes after it; an idle kept-alive
 * connection closes at once. A raw socket client, so that the headers and the close are seen as
 * sent.
 */
class Http1DrainTest {
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final LinkedBlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
  private final CountDownLatch inHandler = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private HttpServer server;
  private Channel listener;

  @AfterEach
  void tearDown() throws Exception {
    release.countDown();
    if (listener != null) {
      listener.close().sync();
    }
    if (server != null) {
      server.stop(0);
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  /** A server whose {@code /held} answers only once the test lets it. */
  private InetSocketAddress proxy() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext(
        "/",
        ex -> {
          if (ex.getRequestURI().getPath().equals("/held")) {
            inHandler.countDown();
            try {
              release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          byte[] out = "ok".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, out.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(out);
          }
        });
    server.start();
    InetSocketAddress endpoint = server.getAddress();
    Metrics metrics = new Metrics();
    Route route =
        new Route(
            endpoint,
            new Handling.Detect(Duration.ofSeconds(1)),
            "svc:80",
            () -> List.of(endpoint));
    Http1Upstreams upstreams =
        new Http1Upstreams(Duration.ofSeconds(2), Duration.ofSeconds(30), metrics);
    HttpContext http = new HttpContext("outbound", new P2c(), metrics);
    listener =
        Listener.start(
            group,
            ch -> {
              accepted.add(ch);
              Http1Proxy.install(ch, null, route, http, upstreams);
            });
    return (InetSocketAddress) listener.localAddress();
  }

  @Test
  void the_request_in_flight_is_answered_with_connection_close_then_the_connection_closes()
      throws Exception {
    InetSocketAddress proxy = proxy();
    try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream()
          .write("GET /held HTTP/1.1\r\nHost: svc\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(inHandler.await(10, TimeUnit.SECONDS)).isTrue();
      Channel ch = accepted.poll(10, TimeUnit.SECONDS);
      ch.pipeline().fireUserEventTriggered(new Draining(Duration.ofSeconds(30)));
      release.countDown();
      // Everything up to the close: one whole response, then end of stream.
      String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(all)
          .startsWith("HTTP/1.1 200")
          .containsIgnoringCase("connection: close")
          .endsWith("\r\n\r\nok");
    }
  }

  @Test
  void an_idle_kept_alive_connection_closes_at_once() throws Exception {
    InetSocketAddress proxy = proxy();
    try (Socket s = new Socket(proxy.getAddress(), proxy.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream()
          .write("GET /fast HTTP/1.1\r\nHost: svc\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      String head = readResponse(in);
      assertThat(head).startsWith("HTTP/1.1 200").doesNotContainIgnoringCase("connection: close");
      Channel ch = accepted.poll(10, TimeUnit.SECONDS);
      ch.pipeline().fireUserEventTriggered(new Draining(Duration.ofSeconds(30)));
      assertThat(in.read()).as("end of stream").isEqualTo(-1);
      assertThat(ch.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  /** One response with a 2-byte body ("ok"), read exactly. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (!b.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\nok")) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      b.write(c);
    }
    return b.toString(StandardCharsets.US_ASCII);
  }
}
