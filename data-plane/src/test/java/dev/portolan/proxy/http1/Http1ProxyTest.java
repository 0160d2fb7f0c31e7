package dev.portolan.proxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.http.HttpContext;
import dev.portolan.proxy.http.Listener;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.Route;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/1 proxy on loopback between real clients (the JDK's HttpClient and WebSocket, a raw
 * socket for pipelining and garbage) and real servers (the JDK's HttpServer, Netty's WebSocket
 * server).
 */
class Http1ProxyTest {
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final List<HttpServer> servers = new ArrayList<>();
  private final Metrics metrics = new Metrics();
  private Channel listener;

  @AfterEach
  void tearDown() throws Exception {
    if (listener != null) {
      listener.close().sync();
    }
    servers.forEach(s -> s.stop(0));
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  /** A JDK HttpServer that answers its name, the path it saw, and the body length it read. */
  private InetSocketAddress server(String name) throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    s.createContext(
        "/",
        ex -> {
          if (ex.getRequestURI().getPath().startsWith("/slow")) {
            try {
              Thread.sleep(300); // the server is slow on purpose: latency the balancer sees
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          byte[] body;
          try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
          }
          byte[] out =
              (name + " " + ex.getRequestURI().getPath() + " " + body.length)
                  .getBytes(StandardCharsets.UTF_8);
          if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(200, -1);
          } else {
            ex.sendResponseHeaders(200, out.length);
            try (OutputStream o = ex.getResponseBody()) {
              o.write(out);
            }
          }
          ex.close();
        });
    s.start();
    servers.add(s);
    return s.getAddress();
  }

  /** A proxy listener whose every connection is HTTP/1 to the given endpoints. */
  private InetSocketAddress proxy(List<InetSocketAddress> endpoints) throws Exception {
    Route route =
        new Route(
            endpoints.getFirst(),
            new Handling.Detect(Duration.ofSeconds(1)),
            "svc:80",
            () -> endpoints);
    Http1Upstreams upstreams =
        new Http1Upstreams(Duration.ofSeconds(2), Duration.ofSeconds(30), metrics);
    HttpContext http = new HttpContext("outbound", new P2c(), metrics);
    listener = Listener.start(group, ch -> Http1Proxy.install(ch, null, route, http, upstreams));
    return (InetSocketAddress) listener.localAddress();
  }

  @Test
  void one_keep_alive_connection_picks_an_endpoint_per_request() throws Exception {
    InetSocketAddress p = proxy(List.of(server("a"), server("b")));
    Map<String, Integer> by = new HashMap<>();
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      for (int i = 0; i < 40; i++) {
        // The first two are slow: the first endpoint's 300 ms answer sends the second elsewhere.
        String path = (i < 2 ? "/slow" : "/x") + i;
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.getPort() + path))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).endsWith(" " + path + " 0");
        by.merge(r.body().substring(0, 1), 1, Integer::sum);
        if (i == 1) {
          assertThat(by).containsOnlyKeys("a", "b");
        }
      }
    }
    assertThat(by.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(40);
    assertThat(Listener.value(metrics, "request_total")).isEqualTo(40);
    assertThat(Listener.responses(metrics, 200, "success")).isEqualTo(40);
    assertThat(Listener.value(metrics, "response_latency_ms_count")).isEqualTo(40);
  }

  @Test
  void pipelined_requests_are_answered_in_order_and_bodies_stream_through() throws Exception {
    InetSocketAddress p = proxy(List.of(server("a"), server("b")));
    byte[] big = new byte[1 << 20];
    try (Socket s = new Socket(p.getAddress(), p.getPort())) {
      s.setSoTimeout(10_000);
      StringBuilder req = new StringBuilder();
      for (int i = 0; i < 3; i++) {
        req.append("GET /p").append(i).append(" HTTP/1.1\r\nHost: svc\r\n\r\n");
      }
      req.append("POST /upload HTTP/1.1\r\nHost: svc\r\nTransfer-Encoding: chunked\r\n\r\n");
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
      for (int off = 0; off < big.length; off += 65536) {
        out.write((Integer.toHexString(65536) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(big, off, 65536);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      }
      out.write("0\r\n\r\nHEAD /h HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n".getBytes());
      out.flush();
      String all = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      // In order, each body after its own head; the HEAD answer has no body; then the close.
      int p0 = all.indexOf(" /p0 0");
      int p1 = all.indexOf(" /p1 0");
      int p2 = all.indexOf(" /p2 0");
      int up = all.indexOf(" /upload " + big.length);
      assertThat(p0).isPositive();
      assertThat(p1).isGreaterThan(p0);
      assertThat(p2).isGreaterThan(p1);
      assertThat(up).isGreaterThan(p2);
      assertThat(all.split("HTTP/1.1 200", -1)).hasSize(6);
      assertThat(all).doesNotContain(" /h ");
    }
    assertThat(Listener.value(metrics, "request_total")).isEqualTo(5);
  }

  @Test
  void an_unreachable_endpoint_is_a_502_with_the_reason_and_garbage_is_a_400() throws Exception {
    int closed;
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = ss.getLocalPort();
    }
    InetSocketAddress p = proxy(List.of(new InetSocketAddress("127.0.0.1", closed)));
    String answer = exchange(p, "GET / HTTP/1.1\r\nHost: svc\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 502").contains("l5d-proxy-error: connect to");
    String bad = exchange(p, "GET / HTTP/1.1\r\nHost svc no colon\r\n\r\n");
    assertThat(bad).startsWith("HTTP/1.1 400").contains("l5d-proxy-error: malformed request");
    assertThat(Listener.responses(metrics, 502, "failure")).isEqualTo(1);
  }

  @Test
  void a_request_whose_endpoint_refuses_goes_to_another_before_any_byte_was_sent()
      throws Exception {
    int closed;
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = ss.getLocalPort();
    }
    InetSocketAddress p = proxy(List.of(new InetSocketAddress("127.0.0.1", closed), server("b")));
    for (int i = 0; i < 10; i++) {
      assertThat(
              exchange(
                  p,
                  "POST /f HTTP/1.1\r\nHost: svc\r\nContent-Length: 3\r\n"
                      + "Connection: close\r\n\r\nabc"))
          .startsWith("HTTP/1.1 200")
          .endsWith("b /f 3");
    }
  }

  @Test
  void a_websocket_upgrade_becomes_a_byte_relay_both_ways() throws Exception {
    InetSocketAddress ws = websocketEcho();
    InetSocketAddress p = proxy(List.of(ws));
    CompletableFuture<String> echoed = new CompletableFuture<>();
    try (HttpClient http = HttpClient.newHttpClient()) {
      WebSocket socket =
          http.newWebSocketBuilder()
              .buildAsync(
                  URI.create("ws://127.0.0.1:" + p.getPort() + "/echo"),
                  new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                      text.append(data);
                      if (last) {
                        echoed.complete(text.toString());
                      }
                      w.request(1);
                      return null;
                    }
                  })
              .get(10, TimeUnit.SECONDS);
      socket.sendText("hello through the mesh", true).get(10, TimeUnit.SECONDS);
      assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("echo: hello through the mesh");
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
    }
    assertThat(Listener.responses(metrics, 101, "success")).isEqualTo(1);
  }

  /** Netty's own WebSocket server, echoing text frames. */
  private InetSocketAddress websocketEcho() throws InterruptedException {
    Channel ch =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<EpollSocketChannel>() {
                  @Override
                  protected void initChannel(EpollSocketChannel c) {
                    c.pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(65536))
                        .addLast(new WebSocketServerProtocolHandler("/echo"))
                        .addLast(
                            new SimpleChannelInboundHandler<TextWebSocketFrame>() {
                              @Override
                              protected void channelRead0(
                                  ChannelHandlerContext ctx, TextWebSocketFrame f) {
                                ctx.writeAndFlush(new TextWebSocketFrame("echo: " + f.text()));
                              }
                            });
                  }
                })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
    return (InetSocketAddress) ch.localAddress();
  }

  /** Sends raw bytes and reads until the proxy closes. */
  private static String exchange(InetSocketAddress p, String raw) throws IOException {
    try (Socket s = new Socket(p.getAddress(), p.getPort())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      s.getInputStream().transferTo(out);
      return out.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
