package dev.portolan.proxy.inbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.identity.TestPki;
import dev.portolan.proxy.identity.TrustAnchors;
import dev.portolan.proxy.metrics.ByteCounter;
import dev.portolan.proxy.net.EarlyBytes;
import dev.portolan.proxy.tls.FakeIdentity;
import dev.portolan.proxy.tls.MeshTls;
import dev.portolan.proxy.tls.MeshTlsEvent;
import dev.portolan.proxy.tls.MeshTlsHandlers;
import dev.portolan.proxy.tls.MeshTlsSession;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Mesh TLS on an application port, over loopback: a client proxy's ClientHello naming the server's
 * identity is terminated (client certificate required), anything else goes through as it came, with
 * every byte read during the peek handed on.
 */
class AppPortTlsTest {
  static final String WEB = "web.shop.serviceaccount.identity.portolan.cluster.local";
  static final String DB = "db.shop.serviceaccount.identity.portolan.cluster.local";
  static final TestPki.Ca ROOT = TestPki.root("root");
  static final TestPki.Ca ISSUER = ROOT.intermediate("issuer");
  static final TrustAnchors ANCHORS = TrustAnchors.fromPem(ROOT.pem());
  static final Duration WINDOW = Duration.ofMillis(20);

  static EventLoopGroup group;
  final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  final List<AutoCloseable> toClose = new ArrayList<>();
  final List<Object> toRelease = new ArrayList<>();

  /** What the server side saw: the decision, then the bytes handed on and read after it. */
  final BlockingQueue<String> decisions = new LinkedBlockingQueue<>();

  final BlockingQueue<String> serverReads = new LinkedBlockingQueue<>();
  final BlockingQueue<String> clientReads = new LinkedBlockingQueue<>();
  final List<String> peers = new ArrayList<>();

  @BeforeAll
  static void loops() {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
  }

  @AfterAll
  static void stopLoops() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @AfterEach
  void closeAll() throws Exception {
    channels.close().syncUninterruptibly();
    for (AutoCloseable c : toClose) {
      c.close();
    }
    toRelease.forEach(ReferenceCountUtil::release);
  }

  MeshTls mesh(String name) {
    FakeIdentity id =
        new FakeIdentity(name, ANCHORS)
            .certify(ISSUER.leaf(name, Duration.ofHours(1)).asIdentity(name, 1));
    MeshTls tls = MeshTls.create(id, SslProvider.JDK);
    toClose.add(tls);
    return tls;
  }

  /** The front door's part: take the held bytes, then echo everything with a prefix. */
  final class Echo extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      String s = b.toString(StandardCharsets.ISO_8859_1);
      serverReads.add(s);
      b.release();
      ctx.writeAndFlush(Unpooled.copiedBuffer("echo:" + s, StandardCharsets.ISO_8859_1));
    }
  }

  /**
   * A window wide enough for a cold test JVM's first handshake; {@link #WINDOW} itself is measured
   * by the silent-client test.
   */
  int listen(MeshTls server) {
    return listen(server, Duration.ofSeconds(1));
  }

  int listen(MeshTls server, Duration window) {
    Channel listener =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childOption(ChannelOption.AUTO_READ, false)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    channels.add(ch);
                    ch.pipeline()
                        .addFirst(
                            AppPortTls.NAME,
                            new AppPortTls(server, window, Duration.ofSeconds(2), outcome(ch)));
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
    channels.add(listener);
    return ((java.net.InetSocketAddress) listener.localAddress()).getPort();
  }

  AppPortTls.Outcome outcome(Channel ch) {
    return new AppPortTls.Outcome() {
      @Override
      public void plaintext(ChannelHandlerContext ctx, String why) {
        decisions.add("plaintext");
        ch.eventLoop().execute(() -> frontDoor(ch));
      }

      @Override
      public void meshTls(ChannelHandlerContext ctx) {
        MeshTlsSession s = MeshTlsSession.of(ch);
        synchronized (peers) {
          peers.add(s == null ? "none" : String.valueOf(s.peerIdentity()));
        }
        decisions.add("mesh_tls");
        ch.eventLoop().execute(() -> frontDoor(ch));
      }

      @Override
      public void lateTls(Channel c) {
        MeshTlsSession s = MeshTlsSession.of(c);
        synchronized (peers) {
          peers.add(s == null ? "none" : String.valueOf(s.peerIdentity()));
        }
        decisions.add("late_tls");
      }

      @Override
      public void lateHelloRefused(Channel c, String detail) {
        decisions.add("late_hello_refused");
      }

      @Override
      public void refused(Channel c, String reason, String detail) {
        decisions.add("refused:" + reason);
      }
    };
  }

  /** What a server-first app says as soon as the front door relays (none: client-first). */
  volatile @Nullable String greeting;

  /** Whether the front door counts bytes as ProxyConnection's HTTP hand-over does (first). */
  volatile boolean countBytes;

  final LongAdder bytesRead = new LongAdder();
  final LongAdder bytesWritten = new LongAdder();

  void frontDoor(Channel ch) {
    ByteBuf early = EarlyBytes.take(ch);
    if (countBytes) {
      ch.pipeline().addFirst("bytes", new ByteCounter(bytesRead, bytesWritten));
    }
    Echo echo = new Echo();
    ch.pipeline().addLast(echo);
    String hello = greeting;
    if (hello != null) {
      ch.writeAndFlush(Unpooled.copiedBuffer(hello, StandardCharsets.ISO_8859_1));
    }
    if (early != null) {
      // As the HTTP hand-over replays them: already plaintext, so from behind the TLS handler
      // (from the head of the pipeline, it would take them for records).
      ChannelHandlerContext tls = ch.pipeline().context(MeshTlsHandlers.SSL_NAME);
      if (tls != null) {
        tls.fireChannelRead(early);
      } else {
        ch.pipeline().fireChannelRead(early);
      }
    }
    ch.config().setAutoRead(true);
  }

  Channel connect(int port, Consumer<Channel> init) {
    Channel ch =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    init.accept(ch);
                    ch.pipeline()
                        .addLast(
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void userEventTriggered(ChannelHandlerContext ctx, Object e) {
                                if (e instanceof MeshTlsEvent ev) {
                                  clientReads.add("event:" + ev.getClass().getSimpleName());
                                }
                              }

                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                ByteBuf b = (ByteBuf) msg;
                                clientReads.add(b.toString(StandardCharsets.ISO_8859_1));
                                b.release();
                              }
                            });
                  }
                })
            .connect("127.0.0.1", port)
            .syncUninterruptibly()
            .channel();
    channels.add(ch);
    return ch;
  }

  static void send(Channel ch, String s) {
    ch.writeAndFlush(Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1));
  }

  String poll(BlockingQueue<String> q) throws InterruptedException {
    return q.poll(10, TimeUnit.SECONDS);
  }

  @Test
  void a_client_proxy_naming_our_identity_gets_mesh_tls_and_the_app_gets_plaintext()
      throws Exception {
    int port = listen(mesh(DB));
    MeshTls web = mesh(WEB);
    Channel c = connect(port, ch -> web.client(ch, DB, port, false).addFirst(ch.pipeline()));
    assertThat(poll(clientReads)).isEqualTo("event:Established");
    send(c, "PING\r\n");
    assertThat(poll(decisions)).isEqualTo("mesh_tls");
    assertThat(poll(serverReads)).isEqualTo("PING\r\n");
    assertThat(poll(clientReads)).isEqualTo("echo:PING\r\n");
    synchronized (peers) {
      assertThat(peers).containsExactly(WEB);
    }
  }

  @Test
  void plaintext_is_relayed_as_it_came_with_the_bytes_read_during_the_peek() throws Exception {
    int port = listen(mesh(DB));
    Channel c = connect(port, ch -> {});
    send(c, "*1\r\n$4\r\nPING\r\n");
    assertThat(poll(decisions)).isEqualTo("plaintext");
    assertThat(poll(serverReads)).isEqualTo("*1\r\n$4\r\nPING\r\n");
    assertThat(poll(clientReads)).isEqualTo("echo:*1\r\n$4\r\nPING\r\n");
  }

  @Test
  void a_silent_client_is_relayed_after_the_window_and_may_speak_later() throws Exception {
    int port = listen(mesh(DB), WINDOW);
    long t0 = System.nanoTime();
    Channel c = connect(port, ch -> {});
    assertThat(poll(decisions)).isEqualTo("plaintext");
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(waited).isGreaterThanOrEqualTo(WINDOW.toMillis());
    // The read the peek left pending delivers the client's later bytes to the front door.
    send(c, "EHLO x\r\n");
    assertThat(poll(serverReads)).isEqualTo("EHLO x\r\n");
  }

  @Test
  void tls_for_another_name_passes_through_untouched() throws Exception {
    int port = listen(mesh(DB));
    SslContext other =
        SslContextBuilder.forClient()
            .sslProvider(SslProvider.JDK)
            .protocols("TLSv1.3")
            .trustManager(ANCHORS.pkixTrustManager())
            .build();
    toRelease.add(other);
    connect(
        port, ch -> ch.pipeline().addFirst(other.newHandler(ch.alloc(), "api.example.com", port)));
    assertThat(poll(decisions)).isEqualTo("plaintext");
    String hello = poll(serverReads);
    assertThat(hello).isNotNull();
    assertThat(hello.charAt(0)).isEqualTo((char) 22); // the ClientHello record, handed on whole
  }

  @Test
  void tls_naming_us_without_a_client_certificate_is_refused_before_the_app_sees_a_byte()
      throws Exception {
    int port = listen(mesh(DB));
    SslContext noCert =
        SslContextBuilder.forClient()
            .sslProvider(SslProvider.JDK)
            .protocols("TLSv1.3")
            .trustManager(ANCHORS.pkixTrustManager())
            .endpointIdentificationAlgorithm(null)
            .build();
    toRelease.add(noCert);
    Channel c =
        connect(port, ch -> ch.pipeline().addFirst(noCert.newHandler(ch.alloc(), DB, port)));
    c.eventLoop().schedule(() -> send(c, "SECRET\r\n"), 50, TimeUnit.MILLISECONDS);
    assertThat(poll(decisions)).isEqualTo("refused:no_client_cert");
    c.closeFuture().await(10, TimeUnit.SECONDS);
    assertThat(serverReads).isEmpty();
  }

  /** A window the client cannot meet: the tests below speak only after it provably ended. */
  static final Duration EXPIRED = Duration.ofMillis(1);

  /** Starts the TLS handshake of {@code handler} on a connection that has been silent so far. */
  static void startTls(Channel c, Consumer<Channel> handler) {
    c.eventLoop().submit(() -> handler.accept(c)).syncUninterruptibly();
  }

  @Test
  void a_late_hello_naming_us_before_the_app_spoke_still_gets_mesh_tls() throws Exception {
    int port = listen(mesh(DB), EXPIRED);
    MeshTls web = mesh(WEB);
    Channel c = connect(port, ch -> {});
    assertThat(poll(decisions)).isEqualTo("plaintext"); // the window is over: relaying
    startTls(c, ch -> web.client(ch, DB, port, false).addFirst(ch.pipeline()));
    assertThat(poll(clientReads)).isEqualTo("event:Established");
    assertThat(poll(decisions)).isEqualTo("late_tls");
    send(c, "PING\r\n");
    assertThat(poll(serverReads)).isEqualTo("PING\r\n"); // the app gets plaintext
    assertThat(poll(clientReads)).isEqualTo("echo:PING\r\n");
    synchronized (peers) {
      assertThat(peers).containsExactly(WEB);
    }
  }

  @Test
  void a_late_hello_naming_us_after_the_app_greeted_is_closed_and_the_app_sees_nothing()
      throws Exception {
    greeting = "220 db ready\r\n";
    int port = listen(mesh(DB), EXPIRED);
    MeshTls web = mesh(WEB);
    Channel c = connect(port, ch -> {});
    assertThat(poll(decisions)).isEqualTo("plaintext");
    assertThat(poll(clientReads)).isEqualTo("220 db ready\r\n");
    startTls(c, ch -> web.client(ch, DB, port, false).addFirst(ch.pipeline()));
    assertThat(poll(decisions)).isEqualTo("late_hello_refused");
    assertThat(c.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(serverReads).isEmpty(); // the hello was not relayed to the app
    assertThat(clientReads).doesNotContain("event:Established");
  }

  @Test
  void a_late_hello_for_another_name_is_relayed_as_it_came() throws Exception {
    int port = listen(mesh(DB), EXPIRED);
    SslContext other =
        SslContextBuilder.forClient()
            .sslProvider(SslProvider.JDK)
            .protocols("TLSv1.3")
            .trustManager(ANCHORS.pkixTrustManager())
            .build();
    toRelease.add(other);
    Channel c = connect(port, ch -> {});
    assertThat(poll(decisions)).isEqualTo("plaintext");
    startTls(
        c, ch -> ch.pipeline().addFirst(other.newHandler(ch.alloc(), "api.example.com", port)));
    String hello = poll(serverReads);
    assertThat(hello).isNotNull();
    assertThat(hello.charAt(0)).isEqualTo((char) 22); // the ClientHello record, to the app
    assertThat(decisions).isEmpty();
  }

  /**
   * The {@code tcp_*_bytes_total} of an HTTP connection count the application's bytes on every path
   * (as a relay does, and as Linkerd counts the stream its TLS server terminated): "PING\r\n" in,
   * "echo:PING\r\n" out, whether the connection was plaintext, mesh TLS or late mesh TLS.
   */
  void assertCountsApplicationBytes(Channel c) throws Exception {
    send(c, "PING\r\n");
    assertThat(poll(clientReads)).isEqualTo("echo:PING\r\n");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> {
          assertThat(bytesRead.sum()).isEqualTo(6);
          assertThat(bytesWritten.sum()).isEqualTo(11);
        });
  }

  @Test
  void http_bytes_are_counted_as_plaintext_on_a_plaintext_connection() throws Exception {
    countBytes = true;
    int port = listen(mesh(DB));
    Channel c = connect(port, ch -> {});
    assertCountsApplicationBytes(c);
    assertThat(poll(decisions)).isEqualTo("plaintext");
  }

  @Test
  void http_bytes_are_counted_as_plaintext_under_mesh_tls() throws Exception {
    countBytes = true;
    int port = listen(mesh(DB));
    MeshTls web = mesh(WEB);
    Channel c = connect(port, ch -> web.client(ch, DB, port, false).addFirst(ch.pipeline()));
    assertThat(poll(clientReads)).isEqualTo("event:Established");
    assertCountsApplicationBytes(c);
    assertThat(poll(decisions)).isEqualTo("mesh_tls");
  }

  @Test
  void http_bytes_are_counted_as_plaintext_under_late_mesh_tls_without_the_hello()
      throws Exception {
    countBytes = true;
    int port = listen(mesh(DB), EXPIRED);
    MeshTls web = mesh(WEB);
    Channel c = connect(port, ch -> {});
    assertThat(poll(decisions)).isEqualTo("plaintext");
    startTls(c, ch -> web.client(ch, DB, port, false).addFirst(ch.pipeline()));
    assertThat(poll(clientReads)).isEqualTo("event:Established");
    assertThat(poll(decisions)).isEqualTo("late_tls");
    assertCountsApplicationBytes(c);
  }

  @Test
  void a_server_first_app_greets_and_the_plaintext_answer_passes_the_guard() throws Exception {
    greeting = "220 mail ready\r\n";
    int port = listen(mesh(DB), EXPIRED);
    Channel c = connect(port, ch -> {});
    assertThat(poll(decisions)).isEqualTo("plaintext");
    assertThat(poll(clientReads)).isEqualTo("220 mail ready\r\n");
    send(c, "EHLO x\r\n");
    assertThat(poll(serverReads)).isEqualTo("EHLO x\r\n");
    assertThat(poll(clientReads)).isEqualTo("echo:EHLO x\r\n");
    assertThat(decisions).isEmpty();
  }

  @Test
  void a_late_hello_that_never_completes_goes_on_to_the_app_at_the_deadline() throws Exception {
    int port = listen(mesh(DB), EXPIRED);
    Channel c = connect(port, ch -> {});
    assertThat(poll(decisions)).isEqualTo("plaintext");
    long t0 = System.nanoTime();
    send(c, "\u0016\u0003\u0001"); // a TLS record header, then nothing
    assertThat(poll(serverReads)).isEqualTo("\u0016\u0003\u0001");
    long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertThat(waited).isGreaterThanOrEqualTo(1_900); // held until the 2 s ClientHello deadline
    assertThat(decisions).isEmpty();
  }
}
