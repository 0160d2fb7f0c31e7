package dev.portolan.proxy.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.http.HttpContext;
import dev.portolan.proxy.http.Listener;
import dev.portolan.proxy.http1.Http1Proxy;
import dev.portolan.proxy.http1.Http1Upstreams;
import dev.portolan.proxy.http2.Http2Proxy;
import dev.portolan.proxy.http2.Http2Upstreams;
import dev.portolan.proxy.identity.TestPki;
import dev.portolan.proxy.identity.TrustAnchors;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.MeshTarget;
import dev.portolan.proxy.route.Route;
import dev.portolan.proxy.transport.TransportHeader;
import dev.portolan.proxy.transport.TransportHeader.SessionProtocol;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP pools dial endpoints that have an identity over mesh TLS (docs/design/outbound.md): on
 * their own port without ALPN, or through the peer's inbound port with a transport header naming
 * the port and the session protocol. Real HTTP/1 (the JDK's client and server) and HTTP/2
 * (grpc-java) through the proxies, a real TLS peer that requires our certificate, and the refusal
 * of a peer whose certificate names another identity.
 */
class MeshHttpPoolsTest {
  static final String CLIENT = "client.shop.serviceaccount.identity.portolan.cluster.local";
  static final String WEB = "web.shop.serviceaccount.identity.portolan.cluster.local";
  static final String OTHER = "other.shop.serviceaccount.identity.portolan.cluster.local";
  static final TestPki.Ca ROOT = TestPki.root("root");
  static final TrustAnchors ANCHORS = TrustAnchors.fromPem(ROOT.pem());

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final Metrics metrics = new Metrics();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final AtomicInteger backendRequests = new AtomicInteger();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private MeshTls mesh(String identity) {
    MeshTls tls =
        MeshTls.create(
            new FakeIdentity(identity, ANCHORS)
                .certify(ROOT.leaf(identity, Duration.ofHours(1)).asIdentity(identity, 1)));
    closing.add(tls);
    return tls;
  }

  private MeshPeer peer(boolean transport, int appPort) {
    MeshPeer p = new MeshPeer(group, mesh(WEB), transport, appPort);
    closing.add(p);
    return p;
  }

  /** A JDK HttpServer answering the path and the {@code l5d-client-id} it got. */
  private int http1Backend() throws Exception {
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    s.createContext(
        "/",
        ex -> {
          backendRequests.incrementAndGet();
          byte[] out = ("hello " + ex.getRequestURI().getPath()).getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, out.length);
          try (OutputStream o = ex.getResponseBody()) {
            o.write(out);
          }
        });
    s.start();
    closing.add(() -> s.stop(0));
    return s.getAddress().getPort();
  }

  private int grpcBackend() throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("web", ServingStatus.SERVING);
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(health.getHealthService())
            .build()
            .start();
    closing.add(() -> s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return s.getPort();
  }

  private static Route route(InetSocketAddress endpoint, @Nullable MeshTarget target) {
    Function<InetSocketAddress, @Nullable MeshTarget> meshes =
        a -> a.equals(endpoint) ? target : null;
    return new Route(
        endpoint,
        new Handling.Detect(Duration.ofSeconds(1)),
        "svc:80",
        () -> List.of(endpoint),
        null,
        meshes);
  }

  private int http1Proxy(Route route) throws Exception {
    Http1Upstreams upstreams =
        new Http1Upstreams(Duration.ofSeconds(2), Duration.ofSeconds(30), metrics, mesh(CLIENT));
    HttpContext http = new HttpContext("outbound", new P2c(), metrics);
    Channel l = Listener.start(group, ch -> Http1Proxy.install(ch, null, route, http, upstreams));
    closing.add(() -> l.close().sync());
    return ((InetSocketAddress) l.localAddress()).getPort();
  }

  private HealthGrpc.HealthBlockingStub http2Proxy(Route route) throws Exception {
    Http2Upstreams upstreams =
        new Http2Upstreams(Duration.ofSeconds(2), Duration.ofSeconds(30), metrics, mesh(CLIENT));
    HttpContext http = new HttpContext("outbound", new P2c(), metrics);
    Channel l = Listener.start(group, ch -> Http2Proxy.install(ch, null, route, http, upstreams));
    closing.add(() -> l.close().sync());
    ManagedChannel c =
        NettyChannelBuilder.forAddress((InetSocketAddress) l.localAddress()).usePlaintext().build();
    closing.add(() -> c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return HealthGrpc.newBlockingStub(c).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private long opened(InetSocketAddress endpoint, String protocol) {
    return metrics.value(
        "http_upstream_open_total",
        "direction",
        "outbound",
        "endpoint",
        "127.0.0.1:" + endpoint.getPort(),
        "protocol",
        protocol,
        "tls",
        "true",
        "server_id",
        WEB);
  }

  @Test
  void http1_to_the_application_port_is_mesh_tls_without_alpn_and_pooled() throws Exception {
    MeshPeer peer = peer(false, http1Backend());
    InetSocketAddress endpoint = new InetSocketAddress("127.0.0.1", peer.port());
    int proxy = http1Proxy(route(endpoint, MeshTarget.applicationPort(WEB)));
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> r = get(http, proxy, "/a" + i);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("hello /a" + i);
      }
    }
    // The peer verified our certificate; no ALPN and no header on the application port.
    assertThat(peer.next()).isEqualTo(new MeshPeer.Seen(CLIENT, null, null));
    // Five requests, one kept-alive TLS connection.
    assertThat(peer.seen).isEmpty();
    assertThat(opened(endpoint, "http/1")).isEqualTo(1);
  }

  @Test
  void http1_through_the_inbound_port_names_the_port_and_http1_in_the_header() throws Exception {
    int backend = http1Backend();
    MeshPeer peer = peer(true, 0);
    InetSocketAddress endpoint = new InetSocketAddress("127.0.0.1", backend);
    int proxy = http1Proxy(route(endpoint, new MeshTarget(WEB, peer.port())));
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      HttpResponse<String> r = get(http, proxy, "/tunnelled");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("hello /tunnelled");
    }
    assertThat(peer.next())
        .isEqualTo(
            new MeshPeer.Seen(
                CLIENT,
                MeshTls.TRANSPORT_ALPN,
                new TransportHeader(backend, "", SessionProtocol.HTTP1)));
    assertThat(opened(endpoint, "http/1")).isEqualTo(1);
  }

  @Test
  void http2_through_the_inbound_port_names_http2_and_to_the_app_port_no_header() throws Exception {
    int backend = grpcBackend();
    MeshPeer transport = peer(true, 0);
    InetSocketAddress endpoint = new InetSocketAddress("127.0.0.1", backend);
    HealthGrpc.HealthBlockingStub viaTransport =
        http2Proxy(route(endpoint, new MeshTarget(WEB, transport.port())));
    for (int i = 0; i < 3; i++) {
      assertThat(viaTransport.check(HealthCheckRequest.newBuilder().setService("web").build()))
          .extracting(r -> r.getStatus())
          .isEqualTo(ServingStatus.SERVING);
    }
    assertThat(transport.next())
        .isEqualTo(
            new MeshPeer.Seen(
                CLIENT,
                MeshTls.TRANSPORT_ALPN,
                new TransportHeader(backend, "", SessionProtocol.HTTP2)));
    assertThat(transport.seen).isEmpty(); // one connection carried every stream
    assertThat(opened(endpoint, "http/2")).isEqualTo(1);

    MeshPeer app = peer(false, backend);
    InetSocketAddress appEndpoint = new InetSocketAddress("127.0.0.1", app.port());
    HealthGrpc.HealthBlockingStub direct =
        http2Proxy(route(appEndpoint, MeshTarget.applicationPort(WEB)));
    assertThat(direct.check(HealthCheckRequest.newBuilder().setService("web").build()).getStatus())
        .isEqualTo(ServingStatus.SERVING);
    assertThat(app.next()).isEqualTo(new MeshPeer.Seen(CLIENT, null, null));
  }

  @Test
  void a_peer_with_another_identity_gets_no_request_and_the_client_a_502() throws Exception {
    MeshPeer peer = peer(false, http1Backend());
    InetSocketAddress endpoint = new InetSocketAddress("127.0.0.1", peer.port());
    // Discovery says the endpoint is OTHER; the peer's certificate says WEB.
    int proxy = http1Proxy(route(endpoint, MeshTarget.applicationPort(OTHER)));
    try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      HttpResponse<String> r = get(http, proxy, "/secret");
      assertThat(r.statusCode()).isEqualTo(502);
      assertThat(r.headers().firstValue("l5d-proxy-error"))
          .hasValueSatisfying(v -> assertThat(v).contains("mesh TLS with " + OTHER));
    }
    assertThat(
            metrics.value(
                "outbound_tls_refused_total",
                "direction",
                "outbound",
                "target_addr",
                "127.0.0.1:" + peer.port(),
                "reason",
                TlsRefusal.IDENTITY_MISMATCH.label()))
        .isEqualTo(1);
    assertThat(backendRequests).hasValue(0);
    assertThat(peer.seen).isEmpty();
  }
}
