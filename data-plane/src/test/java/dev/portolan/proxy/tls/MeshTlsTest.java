package dev.portolan.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portolan.proxy.identity.IdentityCertificate;
import dev.portolan.proxy.identity.IdentityState;
import dev.portolan.proxy.identity.IdentityUnavailableException;
import dev.portolan.proxy.identity.TestPki;
import dev.portolan.proxy.identity.TrustAnchors;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real TLS handshakes between real Netty channels on loopback, under BoringSSL and under the JDK's
 * provider: who is accepted, who is refused, with which reason, and what each side records.
 */
class MeshTlsTest {
  static final String WEB = "web.shop.serviceaccount.identity.portolan.cluster.local";
  static final String DB = "db.shop.serviceaccount.identity.portolan.cluster.local";
  static final TestPki.Ca ROOT = TestPki.root("root");
  static final TestPki.Ca ISSUER = ROOT.intermediate("issuer");
  static final TestPki.Ca OTHER_ROOT = TestPki.root("other root");
  static final TrustAnchors ANCHORS = TrustAnchors.fromPem(ROOT.pem());

  static EventLoopGroup group;
  final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  final List<Object> toRelease = new ArrayList<>();
  final List<AutoCloseable> toClose = new ArrayList<>();

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

  /** Events and bytes seen by one side of the connections. */
  record Side(Channel channel, BlockingQueue<Object> events, BlockingQueue<String> reads) {
    /** The next mesh TLS event; a close_notify of an earlier, established connection is skipped. */
    MeshTlsEvent event() throws InterruptedException {
      Object e = events.poll(10, TimeUnit.SECONDS);
      while (e instanceof SslCloseCompletionEvent) {
        e = events.poll(10, TimeUnit.SECONDS);
      }
      assertThat(e).as("a mesh TLS event within 10 s").isInstanceOf(MeshTlsEvent.class);
      return (MeshTlsEvent) e;
    }

    MeshTlsSession established() throws InterruptedException {
      MeshTlsEvent e = event();
      assertThat(e).isInstanceOf(MeshTlsEvent.Established.class);
      return ((MeshTlsEvent.Established) e).session();
    }

    MeshTlsEvent.Refused refused() throws InterruptedException {
      MeshTlsEvent e = event();
      assertThat(e).isInstanceOf(MeshTlsEvent.Refused.class);
      return (MeshTlsEvent.Refused) e;
    }

    int port() {
      return ((InetSocketAddress) channel.localAddress()).getPort();
    }
  }

  /** Records events, echoes what it reads (server) or queues it (client). */
  static final class Recorder extends ChannelInboundHandlerAdapter {
    private final Side side;
    private final boolean echo;

    Recorder(Side side, boolean echo) {
      this.side = side;
      this.echo = echo;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      side.events.add(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      side.reads.add(b.toString(StandardCharsets.US_ASCII));
      if (echo) {
        ctx.writeAndFlush(b);
      } else {
        b.release();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      side.events.add(cause);
      ctx.close();
    }
  }

  FakeIdentity identity(String name, TestPki.Ca issuer) {
    return new FakeIdentity(name, ANCHORS)
        .certify(issuer.leaf(name, Duration.ofHours(1)).asIdentity(name, 1));
  }

  MeshTls mesh(FakeIdentity id, SslProvider provider) {
    MeshTls tls = MeshTls.create(id, provider);
    toClose.add(tls);
    return tls;
  }

  Side listen(MeshTls tls, ServerMode mode) {
    Side accepted = new Side(null, new LinkedBlockingQueue<>(), new LinkedBlockingQueue<>());
    Channel listener =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    channels.add(ch);
                    tls.server(ch, mode).addFirst(ch.pipeline());
                    ch.pipeline().addLast(new Recorder(accepted, true));
                  }
                })
            .bind("127.0.0.1", 0)
            .syncUninterruptibly()
            .channel();
    channels.add(listener);
    return new Side(listener, accepted.events, accepted.reads);
  }

  Side connect(int port, Consumer<Channel> tls) {
    BlockingQueue<Object> events = new LinkedBlockingQueue<>();
    BlockingQueue<String> reads = new LinkedBlockingQueue<>();
    Side[] side = new Side[1];
    Channel ch =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    tls.accept(ch);
                    ch.pipeline().addLast(new Recorder(new Side(ch, events, reads), false));
                  }
                })
            .connect("127.0.0.1", port)
            .syncUninterruptibly()
            .channel();
    channels.add(ch);
    side[0] = new Side(ch, events, reads);
    return side[0];
  }

  Side meshClient(MeshTls tls, String expected, int port, boolean transport) {
    return connect(port, ch -> tls.client(ch, expected, port, transport).addFirst(ch.pipeline()));
  }

  /** A TLS client outside the mesh code: no certificate unless given, the ALPN when asked. */
  Side rawClient(SslProvider p, int port, String protocol, boolean alpn) throws Exception {
    SslContextBuilder b =
        SslContextBuilder.forClient()
            .sslProvider(p)
            .protocols(protocol)
            .trustManager(ANCHORS.pkixTrustManager())
            .endpointIdentificationAlgorithm(null);
    if (alpn) {
      b.applicationProtocolConfig(
          new ApplicationProtocolConfig(
              ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
              MeshTls.TRANSPORT_ALPN));
    }
    SslContext ctx = b.build();
    toRelease.add(ctx);
    return connect(port, ch -> ch.pipeline().addFirst(ctx.newHandler(ch.alloc(), WEB, port)));
  }

  static void send(Side side, String text) {
    side.channel().writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
  }

  static String read(Side side) throws InterruptedException {
    return side.reads().poll(10, TimeUnit.SECONDS);
  }

  @Test
  void boringssl_is_available_here_and_is_the_default() {
    assertThat(OpenSsl.isAvailable())
        .as("netty-tcnative: %s", OpenSsl.unavailabilityCause())
        .isTrue();
    MeshTls tls = MeshTls.create(identity(WEB, ISSUER));
    toClose.add(tls);
    assertThat(tls.provider()).isEqualTo(SslProvider.OPENSSL_REFCNT);
    assertThat(tls.providerName()).isEqualTo("boringssl");
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void a_good_pair_negotiates_tls13_and_the_alpn_and_records_both_identities(SslProvider p)
      throws Exception {
    Side server = listen(mesh(identity(WEB, ISSUER), p), ServerMode.TRANSPORT);
    Side client = meshClient(mesh(identity(DB, ISSUER), p), WEB, server.port(), true);

    MeshTlsSession c = client.established();
    assertThat(c)
        .isEqualTo(
            new MeshTlsSession(false, WEB, MeshTls.TRANSPORT_ALPN, "TLSv1.3", c.cipherSuite()));
    assertThat(c.cipherSuite()).startsWith("TLS_");
    assertThat(c.transport()).isTrue();
    assertThat(MeshTlsSession.of(client.channel())).isEqualTo(c);
    MeshTlsSession s = server.established();
    assertThat(s.server()).isTrue();
    assertThat(s.peerIdentity()).isEqualTo(DB);
    assertThat(s.alpn()).isEqualTo(MeshTls.TRANSPORT_ALPN);
    assertThat(s.protocol()).isEqualTo("TLSv1.3");

    send(client, "ping");
    assertThat(read(client)).isEqualTo("ping");
    assertThat(client.channel().pipeline().get(MeshTlsVerifier.class)).isNull(); // it left
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void a_client_without_a_certificate_is_refused_on_the_transport_port(SslProvider p)
      throws Exception {
    Side server = listen(mesh(identity(WEB, ISSUER), p), ServerMode.TRANSPORT);
    Side client = rawClient(p, server.port(), "TLSv1.3", true);
    send(client, "secret"); // TLS 1.3: the client may think it is done and write at once

    MeshTlsEvent.Refused r = server.refused();
    assertThat(r.refusal()).isEqualTo(TlsRefusal.NO_CLIENT_CERTIFICATE);
    assertThat(r.detail()).contains("no certificate");
    assertNothingReached(server);
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void a_client_certificate_from_another_trust_root_is_refused(SslProvider p) throws Exception {
    Side server = listen(mesh(identity(WEB, ISSUER), p), ServerMode.TRANSPORT);
    meshClient(mesh(identity(DB, OTHER_ROOT), p), WEB, server.port(), true);

    MeshTlsEvent.Refused r = server.refused();
    assertThat(r.refusal()).isEqualTo(TlsRefusal.UNTRUSTED);
    assertThat(r.detail()).startsWith("client certificate [" + DB + "]").contains("is not trusted");
    assertNothingReached(server);
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void an_expired_client_certificate_is_refused(SslProvider p) throws Exception {
    Side server = listen(mesh(identity(WEB, ISSUER), p), ServerMode.TRANSPORT);
    Instant now = Instant.now();
    IdentityCertificate expired =
        ISSUER
            .leaf(DB, now.minus(Duration.ofHours(2)), now.minus(Duration.ofHours(1)))
            .asIdentity(DB, 1);
    // The fake says Valid: this client presents it anyway, as a broken peer would.
    Side client =
        meshClient(
            mesh(new FakeIdentity(DB, ANCHORS).certify(expired), p), WEB, server.port(), true);
    send(client, "secret");

    MeshTlsEvent.Refused r = server.refused();
    assertThat(r.refusal()).isEqualTo(TlsRefusal.EXPIRED);
    assertThat(r.detail()).contains("is expired or not yet valid");
    assertNothingReached(server);
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void a_server_certificate_for_another_identity_is_refused_by_the_client(SslProvider p)
      throws Exception {
    Side server = listen(mesh(identity(WEB, ISSUER), p), ServerMode.TRANSPORT);
    String expected = "api.shop.serviceaccount.identity.portolan.cluster.local";
    Side client = meshClient(mesh(identity(DB, ISSUER), p), expected, server.port(), true);

    MeshTlsEvent.Refused r = client.refused();
    assertThat(r.refusal()).isEqualTo(TlsRefusal.IDENTITY_MISMATCH);
    assertThat(r.detail())
        .isEqualTo("server certificate names [" + WEB + "], expected identity " + expected);
    assertThat(server.refused().refusal()).isEqualTo(TlsRefusal.HANDSHAKE); // the client's alert
    assertNothingReached(server);
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void a_server_certificate_from_another_trust_root_is_refused_by_the_client(SslProvider p)
      throws Exception {
    Side server = listen(mesh(identity(WEB, OTHER_ROOT), p), ServerMode.TRANSPORT);
    Side client = meshClient(mesh(identity(DB, ISSUER), p), WEB, server.port(), true);
    MeshTlsEvent.Refused r = client.refused();
    assertThat(r.refusal()).isEqualTo(TlsRefusal.UNTRUSTED);
    assertThat(r.detail()).startsWith("server certificate [" + WEB + "]");
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void a_client_without_the_alpn_is_refused_where_the_server_requires_it(SslProvider p)
      throws Exception {
    Side server = listen(mesh(identity(WEB, ISSUER), p), ServerMode.TRANSPORT);
    Side client = meshClient(mesh(identity(DB, ISSUER), p), WEB, server.port(), false);
    client.established(); // for the client, TLS without ALPN is all it asked for
    send(client, "secret");

    MeshTlsEvent.Refused r = server.refused();
    assertThat(r.refusal()).isEqualTo(TlsRefusal.NO_ALPN);
    assertThat(r.detail()).isEqualTo("ALPN transport.l5d.io/v1 not negotiated (got null)");
    assertNothingReached(server);
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void a_transport_client_refuses_a_server_without_the_alpn(SslProvider p) throws Exception {
    Side server = listen(mesh(identity(WEB, ISSUER), p), ServerMode.APPLICATION);
    Side client = meshClient(mesh(identity(DB, ISSUER), p), WEB, server.port(), true);
    assertThat(client.refused().refusal()).isEqualTo(TlsRefusal.NO_ALPN);
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void the_application_port_accepts_no_alpn_and_records_a_client_identity_when_there_is_one(
      SslProvider p) throws Exception {
    Side server = listen(mesh(identity(WEB, ISSUER), p), ServerMode.APPLICATION);
    Side meshed = meshClient(mesh(identity(DB, ISSUER), p), WEB, server.port(), false);
    assertThat(meshed.established().alpn()).isNull();
    MeshTlsSession s = server.established();
    assertThat(s.peerIdentity()).isEqualTo(DB);
    assertThat(s.alpn()).isNull();
    send(meshed, "hello");
    assertThat(read(meshed)).isEqualTo("hello");

    Side anonymous = rawClient(p, server.port(), "TLSv1.3", false);
    assertThat(server.established().peerIdentity()).isNull();
    send(anonymous, "hi");
    assertThat(read(anonymous)).isEqualTo("hi");
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void plaintext_and_tls12_are_refused(SslProvider p) throws Exception {
    Side server = listen(mesh(identity(WEB, ISSUER), p), ServerMode.TRANSPORT);
    Side plain = connect(server.port(), ch -> {});
    send(plain, "GET / HTTP/1.1\r\nHost: web\r\n\r\n");
    MeshTlsEvent.Refused r = server.refused();
    assertThat(r.refusal()).isEqualTo(TlsRefusal.PLAINTEXT);
    assertThat(r.detail()).doesNotContain("474554"); // the payload is not logged, even in hex

    rawClient(p, server.port(), "TLSv1.2", true);
    assertThat(server.refused().refusal()).isEqualTo(TlsRefusal.HANDSHAKE);
    assertNothingReached(server);
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void without_a_valid_certificate_of_its_own_the_proxy_makes_no_tls_connection(SslProvider p) {
    FakeIdentity id = new FakeIdentity(WEB, ANCHORS);
    MeshTls tls = mesh(id, p);
    EmbeddedChannel ch = new EmbeddedChannel();
    assertThatThrownBy(() -> tls.server(ch, ServerMode.TRANSPORT))
        .isInstanceOf(IdentityUnavailableException.class)
        .hasMessageContaining("no certificate for " + WEB + " yet");

    IdentityCertificate cert = ISSUER.leaf(WEB, Duration.ofHours(1)).asIdentity(WEB, 1);
    id.certify(cert);
    MeshTlsHandlers made = tls.client(ch, DB, 4143, true); // fine while valid
    ReferenceCountUtil.release(made.ssl().engine()); // never added to a pipeline: release by hand
    id.state(new IdentityState.Expired(cert, "unreachable: UNAVAILABLE"));
    assertThatThrownBy(() -> tls.client(ch, DB, 4143, true))
        .isInstanceOf(IdentityUnavailableException.class)
        .hasMessageContaining("expired at " + cert.expiry())
        .hasMessageContaining("unreachable");
    ch.finishAndReleaseAll();
  }

  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void a_renewed_certificate_is_used_by_new_connections_while_old_ones_keep_working(SslProvider p)
      throws Exception {
    FakeIdentity web = identity(WEB, ISSUER);
    MeshTls serverTls = mesh(web, p);
    Side server = listen(serverTls, ServerMode.TRANSPORT);
    MeshTls clientTls = mesh(identity(DB, ISSUER), p);
    Side first = meshClient(clientTls, WEB, server.port(), true);
    first.established();
    server.established();
    X509Certificate before = serverCertificate(first);

    IdentityCertificate renewed = ISSUER.leaf(WEB, Duration.ofHours(2)).asIdentity(WEB, 2);
    web.certify(renewed);
    assertThat(serverTls.certificateGeneration()).isEqualTo(2);

    Side second = meshClient(clientTls, WEB, server.port(), true);
    second.established();
    assertThat(server.established().peerIdentity()).isEqualTo(DB); // again, on a second session
    assertThat(serverCertificate(second)).isEqualTo(renewed.leaf()).isNotEqualTo(before);

    send(first, "still here");
    assertThat(read(first)).isEqualTo("still here");
    send(second, "new");
    assertThat(read(second)).isEqualTo("new");
  }

  /** A second session may be resumed (no certificates sent): the identity is still recorded. */
  @ParameterizedTest
  @EnumSource(names = {"OPENSSL_REFCNT", "JDK"})
  void every_connection_of_a_client_records_its_identity(SslProvider p) throws Exception {
    Side server = listen(mesh(identity(WEB, ISSUER), p), ServerMode.TRANSPORT);
    MeshTls client = mesh(identity(DB, ISSUER), p);
    for (int i = 0; i < 3; i++) {
      Side c = meshClient(client, WEB, server.port(), true);
      assertThat(c.established().peerIdentity()).isEqualTo(WEB);
      assertThat(server.established().peerIdentity()).isEqualTo(DB);
      send(c, "n" + i);
      assertThat(read(c)).isEqualTo("n" + i);
      c.channel().close().syncUninterruptibly();
    }
  }

  /**
   * Every connection between proxies is a full handshake, its peer verified against the trust
   * anchors of the moment (docs/design/identity.md): no session is cached for a later connection to
   * resume, which would skip that check and keep a session per peer in the proxy's memory.
   */
  @Test
  void a_second_connection_to_the_same_peer_is_not_resumed() throws Exception {
    Side server =
        listen(mesh(identity(WEB, ISSUER), SslProvider.OPENSSL_REFCNT), ServerMode.TRANSPORT);
    MeshTls client = mesh(identity(DB, ISSUER), SslProvider.OPENSSL_REFCNT);
    for (int i = 0; i < 3; i++) {
      Side c = meshClient(client, WEB, server.port(), true);
      assertThat(c.established().peerIdentity()).isEqualTo(WEB);
      assertThat(server.established().peerIdentity()).isEqualTo(DB);
      send(c, "n" + i); // the server's session tickets, if it sent any, have arrived before this
      assertThat(read(c)).isEqualTo("n" + i);
      var engine =
          (ReferenceCountedOpenSslEngine) c.channel().pipeline().get(SslHandler.class).engine();
      assertThat(SSL.isSessionReused(engine.sslPointer())).as("connection %d resumed", i).isFalse();
      c.channel().close().syncUninterruptibly();
    }
  }

  private static X509Certificate serverCertificate(Side client) throws Exception {
    return (X509Certificate)
        client
            .channel()
            .pipeline()
            .get(SslHandler.class)
            .engine()
            .getSession()
            .getPeerCertificates()[0];
  }

  /** No byte was delivered to the server's application side, and no other event came. */
  private static void assertNothingReached(Side server) throws InterruptedException {
    assertThat(server.reads().poll(200, TimeUnit.MILLISECONDS)).isNull();
    assertThat(server.events()).isEmpty();
  }
}
