package dev.portolan.proxy.http2;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.http.HttpContext;
import dev.portolan.proxy.http.Listener;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.Route;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2ResetFrame;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How streams of the HTTP/2 proxy begin and end when the server or the client cuts them short:
 * GOAWAY, connections closing under a stream, resets both ways, the server's stream limit.
 */
class Http2StreamLifecycleTest {
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final EventLoopGroup peers =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final Metrics metrics = new Metrics();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger heads = new AtomicInteger();
  private Server grpc;
  private ManagedChannel grpcClient;

  @AfterEach
  void tearDown() throws Exception {
    if (grpcClient != null) {
      grpcClient.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (grpc != null) {
      grpc.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    peers.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private InetSocketAddress proxy(InetSocketAddress endpoint) throws Exception {
    Route route =
        new Route(
            endpoint,
            new Handling.Detect(Duration.ofSeconds(1)),
            "svc:80",
            () -> List.of(endpoint));
    Http2Upstreams upstreams =
        new Http2Upstreams(Duration.ofSeconds(2), Duration.ofSeconds(30), metrics);
    HttpContext http = new HttpContext("outbound", new P2c(), metrics);
    Channel listener =
        Listener.start(group, ch -> Http2Proxy.install(ch, null, route, http, upstreams));
    return (InetSocketAddress) listener.localAddress();
  }

  /** As {@link #proxy}, but the first read is handed over as detection's bytes, as in the proxy. */
  private InetSocketAddress proxyAfterDetection(InetSocketAddress endpoint) throws Exception {
    Route route =
        new Route(
            endpoint,
            new Handling.Detect(Duration.ofSeconds(1)),
            "svc:80",
            () -> List.of(endpoint));
    Http2Upstreams upstreams =
        new Http2Upstreams(Duration.ofSeconds(2), Duration.ofSeconds(30), metrics);
    HttpContext http = new HttpContext("outbound", new P2c(), metrics);
    Channel listener =
        Listener.start(
            group,
            ch -> {
              ch.pipeline()
                  .addLast(
                      new io.netty.channel.ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(
                            io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                          ctx.pipeline().remove(this);
                          Http2Proxy.install(
                              ctx.channel(), (io.netty.buffer.ByteBuf) msg, route, http, upstreams);
                        }
                      });
              ch.read();
            });
    return (InetSocketAddress) listener.localAddress();
  }

  private long upstreamConnections(InetSocketAddress endpoint) {
    return metrics.value(
        "http_upstream_open_total",
        "direction",
        "outbound",
        "endpoint",
        "127.0.0.1:" + endpoint.getPort(),
        "protocol",
        "http/2");
  }

  private static Object await(java.util.concurrent.CompletableFuture<Object> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  @Test
  void a_bodyless_request_refused_by_goaway_is_sent_again_on_a_new_connection() throws Exception {
    InetSocketAddress server =
        RawH2.server(
            peers,
            (ctx, codec, head, n) -> {
              heads.incrementAndGet();
              if (n == 1) { // refuses every stream: last stream id 0
                codec.goAway(
                    ctx.pipeline().context(codec), 0, 0, Unpooled.EMPTY_BUFFER, ctx.newPromise());
                ctx.flush();
              } else {
                RawH2.ok(ctx, head);
              }
            },
            connections);
    Channel client = RawH2.client(peers, proxy(server));
    Object answer = await(RawH2.request(client, "GET", null));
    assertThat(answer).isInstanceOf(Http2Headers.class);
    assertThat(((Http2Headers) answer).status().toString()).isEqualTo("200");
    assertThat(heads).hasValue(2);
    assertThat(upstreamConnections(server)).isEqualTo(2);
    assertThat(Listener.value(metrics, "request_total")).isEqualTo(1);
    assertThat(Listener.responses(metrics, 200, "success")).isEqualTo(1);
  }

  @Test
  void the_bytes_read_during_detection_reach_the_http2_codec() throws Exception {
    InetSocketAddress server =
        RawH2.server(peers, (ctx, codec, head, n) -> RawH2.ok(ctx, head), connections);
    Channel client = RawH2.client(peers, proxyAfterDetection(server));
    for (int i = 0; i < 3; i++) {
      Object answer = await(RawH2.request(client, "GET", null));
      assertThat(answer).isInstanceOf(Http2Headers.class);
      assertThat(((Http2Headers) answer).status().toString()).isEqualTo("200");
    }
    assertThat(Listener.responses(metrics, 200, "success")).isEqualTo(3);
  }

  @Test
  void a_bodyless_request_whose_connection_closed_under_it_is_sent_again_once() throws Exception {
    InetSocketAddress server =
        RawH2.server(
            peers,
            (ctx, codec, head, n) -> {
              heads.incrementAndGet();
              ctx.close(); // every connection dies under its first stream
            },
            connections);
    Channel client = RawH2.client(peers, proxy(server));
    Object answer = await(RawH2.request(client, "GET", null));
    assertThat(answer).isInstanceOf(Http2ResetFrame.class);
    assertThat(((Http2ResetFrame) answer).errorCode()).isEqualTo(Http2Error.REFUSED_STREAM.code());
    assertThat(heads).hasValue(2); // sent again once, not more
    assertThat(Listener.responses(metrics, 502, "failure")).isEqualTo(1);
  }

  @Test
  void a_request_with_a_body_refused_by_goaway_is_reset_with_refused_stream() throws Exception {
    InetSocketAddress server =
        RawH2.server(
            peers,
            (ctx, codec, head, n) -> {
              heads.incrementAndGet();
              codec.goAway(
                  ctx.pipeline().context(codec), 0, 0, Unpooled.EMPTY_BUFFER, ctx.newPromise());
              ctx.flush();
            },
            connections);
    Channel client = RawH2.client(peers, proxy(server));
    Object answer = await(RawH2.request(client, "POST", "hello"));
    assertThat(answer).isInstanceOf(Http2ResetFrame.class);
    assertThat(((Http2ResetFrame) answer).errorCode()).isEqualTo(Http2Error.REFUSED_STREAM.code());
    assertThat(heads).hasValue(1);
    // The connection that refused it is out of use: the next request opens another.
    await(RawH2.request(client, "POST", "again"));
    assertThat(upstreamConnections(server)).isEqualTo(2);
  }

  @Test
  void a_reset_from_the_server_resets_the_clients_stream() throws Exception {
    InetSocketAddress server =
        RawH2.server(
            peers,
            (ctx, codec, head, n) ->
                ctx.writeAndFlush(
                    new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR).stream(head.stream())),
            connections);
    Channel client = RawH2.client(peers, proxy(server));
    Object answer = await(RawH2.request(client, "POST", "hello"));
    assertThat(answer).isInstanceOf(Http2ResetFrame.class);
    assertThat(Listener.responses(metrics, 502, "failure")).isEqualTo(1);
    // The connection itself lives on.
    await(RawH2.request(client, "POST", "again"));
    assertThat(upstreamConnections(server)).isEqualTo(1);
  }

  @Test
  void streams_beyond_the_servers_limit_wait_and_a_client_reset_frees_one() throws Exception {
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("a", ServingStatus.SERVING);
    AtomicInteger cancelled = new AtomicInteger();
    grpc =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .maxConcurrentCallsPerConnection(2)
            .addService(health.getHealthService())
            .intercept(
                new io.grpc.ServerInterceptor() {
                  @Override
                  public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
                      io.grpc.ServerCall<Q, R> call,
                      io.grpc.Metadata headers,
                      io.grpc.ServerCallHandler<Q, R> next) {
                    Context.current().addListener(c -> cancelled.incrementAndGet(), Runnable::run);
                    return next.startCall(call, headers);
                  }
                })
            .build()
            .start();
    InetSocketAddress server = new InetSocketAddress("127.0.0.1", grpc.getPort());
    grpcClient = NettyChannelBuilder.forAddress(proxy(server)).usePlaintext().build();
    HealthCheckRequest a = HealthCheckRequest.newBuilder().setService("a").build();
    Statuses seen = new Statuses();
    Context.CancellableContext first = Context.current().withCancellation();
    first.run(() -> HealthGrpc.newStub(grpcClient).watch(a, seen));
    HealthGrpc.newStub(grpcClient).watch(a, seen);
    assertThat(seen.next()).isEqualTo(ServingStatus.SERVING);
    assertThat(seen.next()).isEqualTo(ServingStatus.SERVING);

    var third = HealthGrpc.newFutureStub(grpcClient).check(a);
    // The third stream waits in the proxy: no failure, no answer, for as long as we look.
    Awaitility.await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !third.isDone());

    first.cancel(null); // the client resets its stream: the reset frees the server's slot
    assertThat(third.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(ServingStatus.SERVING);
    assertThat(cancelled.get()).isGreaterThanOrEqualTo(1);
    assertThat(upstreamConnections(server)).isEqualTo(1);
  }
}
