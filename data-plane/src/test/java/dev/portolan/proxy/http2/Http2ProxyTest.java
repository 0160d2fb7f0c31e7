package dev.portolan.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.util.concurrent.ListenableFuture;
import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.http.HttpContext;
import dev.portolan.proxy.http.Listener;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.Route;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP/2 proxy on loopback between grpc-java clients and grpc-java servers (h2c, prior
 * knowledge): streams of one client connection spread over endpoints, trailers and status cross, an
 * unreachable endpoint is avoided.
 */
class Http2ProxyTest {
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final List<Server> servers = new ArrayList<>();
  private final Metrics metrics = new Metrics();
  private Channel listener;
  private ManagedChannel client;

  @AfterEach
  void tearDown() throws Exception {
    if (client != null) {
      client.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (listener != null) {
      listener.close().sync();
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  /** A grpc-java health server: SERVING for the service named {@code name}, NOT_SERVING else. */
  private final List<HealthStatusManager> healths = new ArrayList<>();

  private InetSocketAddress server(String name, String other) throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    healths.add(health);
    health.setStatus(name, ServingStatus.SERVING);
    health.setStatus(other, ServingStatus.NOT_SERVING);
    Server s =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(health.getHealthService())
            .build()
            .start();
    servers.add(s);
    return new InetSocketAddress("127.0.0.1", s.getPort());
  }

  private HealthGrpc.HealthFutureStub proxy(List<InetSocketAddress> endpoints) throws Exception {
    Route route =
        new Route(
            endpoints.getFirst(),
            new Handling.Detect(Duration.ofSeconds(1)),
            "svc:80",
            () -> endpoints);
    Http2Upstreams upstreams =
        new Http2Upstreams(Duration.ofSeconds(2), Duration.ofSeconds(30), metrics);
    HttpContext http = new HttpContext("outbound", new P2c(), metrics);
    listener = Listener.start(group, ch -> Http2Proxy.install(ch, null, route, http, upstreams));
    InetSocketAddress p = (InetSocketAddress) listener.localAddress();
    client = NettyChannelBuilder.forAddress(p).usePlaintext().build();
    return HealthGrpc.newFutureStub(client);
  }

  private static HealthCheckRequest ask(String service) {
    return HealthCheckRequest.newBuilder().setService(service).build();
  }

  @Test
  void concurrent_calls_on_one_connection_spread_over_both_endpoints() throws Exception {
    HealthGrpc.HealthFutureStub stub = proxy(List.of(server("a", "b"), server("b", "a")));
    List<ListenableFuture<HealthCheckResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      calls.add(stub.withDeadlineAfter(10, TimeUnit.SECONDS).check(ask("a")));
    }
    int servedByA = 0;
    for (var c : calls) {
      if (c.get(10, TimeUnit.SECONDS).getStatus() == ServingStatus.SERVING) {
        servedByA++;
      }
    }
    assertThat(servedByA).isBetween(1, 99);
    assertThat(Listener.value(metrics, "request_total")).isEqualTo(100);
    assertThat(Listener.responses(metrics, 200, "success")).isEqualTo(100);
  }

  @Test
  void a_long_lived_server_stream_carries_every_update_through_the_proxy() throws Exception {
    HealthGrpc.HealthFutureStub stub = proxy(List.of(server("a", "b")));
    Statuses seen = new Statuses();
    HealthGrpc.newStub(client).watch(ask("a"), seen);
    assertThat(seen.next()).isEqualTo(ServingStatus.SERVING);
    HealthStatusManager health = healths.getFirst();
    for (int i = 0; i < 20; i++) {
      ServingStatus next = i % 2 == 0 ? ServingStatus.NOT_SERVING : ServingStatus.SERVING;
      health.setStatus("a", next);
      assertThat(seen.next()).isEqualTo(next);
    }
    // Other calls share the connection meanwhile.
    assertThat(stub.check(ask("b")).get(10, TimeUnit.SECONDS).getStatus())
        .isEqualTo(ServingStatus.NOT_SERVING);
  }

  /** A bytes-in, bytes-out gRPC method (grpc-java with a byte[] marshaller). */
  private static final MethodDescriptor<byte[], byte[]> ECHO =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("portolan.test.Echo/Echo")
          .setRequestMarshaller(Bytes.INSTANCE)
          .setResponseMarshaller(Bytes.INSTANCE)
          .build();

  private enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream in) {
      try {
        return in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Test
  void large_messages_cross_both_ways_under_http2_flow_control() throws Exception {
    Server echo =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .maxInboundMessageSize(64 << 20)
            .addService(
                ServerServiceDefinition.builder("portolan.test.Echo")
                    .addMethod(
                        ECHO,
                        ServerCalls.asyncUnaryCall((req, out) -> {
                          byte[] reversed = new byte[req.length];
                          for (int i = 0; i < req.length; i++) {
                            reversed[i] = req[req.length - 1 - i];
                          }
                          out.onNext(reversed);
                          out.onCompleted();
                        }))
                    .build())
            .build()
            .start();
    servers.add(echo);
    proxy(List.of(new InetSocketAddress("127.0.0.1", echo.getPort())));
    byte[] big = new byte[8 << 20]; // 128 times the default 64 KiB stream window
    new java.util.Random(7).nextBytes(big);
    for (int round = 0; round < 3; round++) {
      byte[] back =
          ClientCalls.blockingUnaryCall(
              client,
              ECHO,
              io.grpc.CallOptions.DEFAULT
                  .withDeadlineAfter(30, TimeUnit.SECONDS)
                  .withMaxInboundMessageSize(64 << 20),
              big);
      assertThat(back).hasSize(big.length);
      assertThat(back[0]).isEqualTo(big[big.length - 1]);
      assertThat(back[big.length - 1]).isEqualTo(big[0]);
      assertThat(java.util.Arrays.equals(reverse(back), big)).isTrue();
    }
  }

  private static byte[] reverse(byte[] b) {
    byte[] r = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      r[i] = b[b.length - 1 - i];
    }
    return r;
  }

  @Test
  void a_grpc_error_status_in_the_trailers_is_a_failure() throws Exception {
    HealthGrpc.HealthFutureStub stub = proxy(List.of(server("a", "b")));
    var call = stub.withDeadlineAfter(10, TimeUnit.SECONDS).check(ask("nobody"));
    assertThat(call)
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableThat()
        .withMessageContaining("NOT_FOUND");
    assertThat(Listener.responses(metrics, 200, "failure")).isEqualTo(1);
  }

  @Test
  void an_unreachable_endpoint_is_skipped_and_alone_it_is_unavailable() throws Exception {
    int closed;
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = ss.getLocalPort();
    }
    InetSocketAddress dead = new InetSocketAddress("127.0.0.1", closed);
    HealthGrpc.HealthFutureStub stub = proxy(List.of(dead, server("b", "a")));
    for (int i = 0; i < 10; i++) {
      assertThat(stub.withDeadlineAfter(10, TimeUnit.SECONDS).check(ask("b")).get().getStatus())
          .isEqualTo(ServingStatus.SERVING);
    }
  }

  @Test
  void with_no_endpoint_reachable_the_call_fails_with_the_proxy_error() throws Exception {
    int closed;
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closed = ss.getLocalPort();
    }
    HealthGrpc.HealthFutureStub stub = proxy(List.of(new InetSocketAddress("127.0.0.1", closed)));
    assertThat(stub.withDeadlineAfter(10, TimeUnit.SECONDS).check(ask("b")))
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableThat()
        .withMessageContaining("502");
    assertThat(Listener.responses(metrics, 502, "failure")).isEqualTo(1);
  }
}
