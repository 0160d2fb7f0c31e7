package dev.portolan.proxy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.proxy.grpc.GrpcStatusException.Code;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy's gRPC client against grpc-java's server (the policy-server's): messages, statuses,
 * deadlines, cancellation, limits, connections and replicas.
 */
class GrpcChannelTest {
  private static final String GET_PROFILE = "/io.linkerd.proxy.destination.Destination/GetProfile";
  private static final int MAX = 1 << 20;

  private final Set<SocketAddress> clients = ConcurrentHashMap.newKeySet();
  private final CountDownLatch serverSawCancel = new CountDownLatch(1);
  private final List<GrpcChannel> channels = new ArrayList<>();
  private Server server;

  /** What the server does: the request's path picks it. */
  private final class Profiles extends DestinationGrpc.DestinationImplBase {
    @Override
    public void getProfile(GetDestination request, StreamObserver<DestinationProfile> response) {
      switch (request.getPath()) {
        case "three" -> {
          response.onNext(profile("a"));
          response.onNext(profile("b".repeat(200_000))); // over many DATA frames
          response.onNext(profile("c"));
          response.onCompleted();
        }
        case "denied" ->
            response.onError(
                Status.PERMISSION_DENIED
                    .withDescription("token is for 100% another account: é")
                    .asRuntimeException());
        case "huge" -> response.onNext(profile("x".repeat(MAX + 1)));
        case "silent" ->
            Context.current()
                .addListener(c -> serverSawCancel.countDown(), Runnable::run); // never answers
        default -> {
          response.onNext(profile(request.getPath()));
          // stays open
        }
      }
    }
  }

  private static DestinationProfile profile(String name) {
    return DestinationProfile.newBuilder().setFullyQualifiedName(name).build();
  }

  @BeforeEach
  void start() throws Exception {
    ServerInterceptor peers =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            clients.add(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
            return next.startCall(call, headers);
          }
        };
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(ServerInterceptors.intercept(new Profiles(), peers))
            .build()
            .start();
  }

  @AfterEach
  void stop() {
    channels.forEach(GrpcChannel::close);
    server.shutdownNow();
  }

  private GrpcChannel channel(String target) {
    GrpcChannel ch = GrpcChannel.standalone(target, null, null);
    channels.add(ch);
    return ch;
  }

  private String target() {
    return "127.0.0.1:" + server.getPort();
  }

  /** A call's messages and its end. */
  private static final class Recorder implements GrpcChannel.Listener<DestinationProfile> {
    final List<String> names = new CopyOnWriteArrayList<>();
    final CompletableFuture<@Nullable GrpcStatusException> end = new CompletableFuture<>();

    @Override
    public void onMessage(DestinationProfile m) {
      names.add(m.getFullyQualifiedName());
    }

    @Override
    public void onClose(@Nullable GrpcStatusException error) {
      end.complete(error);
    }

    @Nullable GrpcStatusException end() throws Exception {
      return end.get(10, TimeUnit.SECONDS);
    }
  }

  private static Recorder call(GrpcChannel ch, String path, @Nullable Duration deadline) {
    Recorder r = new Recorder();
    ch.call(
        GET_PROFILE,
        GetDestination.newBuilder().setPath(path).build(),
        DestinationProfile.parser(),
        MAX,
        deadline,
        r);
    return r;
  }

  @Test
  void streams_every_message_in_order_then_ends_ok() throws Exception {
    Recorder r = call(channel(target()), "three", null);
    assertThat(r.end()).isNull();
    assertThat(r.names).containsExactly("a", "b".repeat(200_000), "c");
  }

  @Test
  void the_servers_status_and_message_reach_the_caller() throws Exception {
    GrpcStatusException e = call(channel(target()), "denied", null).end();
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(Code.PERMISSION_DENIED);
    assertThat(e.description()).isEqualTo("token is for 100% another account: é");
  }

  @Test
  void a_deadline_ends_the_call_and_the_server_sees_it_cancelled() throws Exception {
    GrpcStatusException e = call(channel(target()), "silent", Duration.ofMillis(200)).end();
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(Code.DEADLINE_EXCEEDED);
    assertThat(serverSawCancel.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void cancel_resets_the_stream() throws Exception {
    GrpcChannel ch = channel(target());
    Recorder r = new Recorder();
    GrpcChannel.Call c =
        ch.call(
            GET_PROFILE,
            GetDestination.newBuilder().setPath("silent").build(),
            DestinationProfile.parser(),
            MAX,
            null,
            r);
    await().until(() -> !clients.isEmpty());
    c.cancel("evicted");
    GrpcStatusException e = r.end();
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(Code.CANCELLED);
    assertThat(e.description()).isEqualTo("evicted");
    assertThat(serverSawCancel.await(10, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void a_message_over_the_limit_ends_the_call() throws Exception {
    GrpcStatusException e = call(channel(target()), "huge", null).end();
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(Code.RESOURCE_EXHAUSTED);
    assertThat(e.description()).contains("over the limit of 1048576");
  }

  @Test
  void calls_share_one_connection_until_enter_idle() throws Exception {
    GrpcChannel ch = channel(target());
    List<Recorder> open = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      open.add(call(ch, "open-" + i, null));
    }
    await().until(() -> open.stream().allMatch(r -> r.names.size() == 1));
    assertThat(clients).hasSize(1);

    ch.enterIdle();
    Recorder after = call(ch, "after", null);
    await().until(() -> after.names.size() == 1);
    assertThat(clients).hasSize(2);
    assertThat(open).allMatch(r -> !r.end.isDone()); // the old connection's streams go on
  }

  @Test
  void a_refused_connection_is_unavailable_and_a_replica_list_moves_on() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    GrpcStatusException e = call(channel("127.0.0.1:" + closed), "x", null).end();
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(Code.UNAVAILABLE);
    assertThat(e)
        .hasMessageContaining("cannot connect to the policy-server at 127.0.0.1:" + closed);

    // Whichever order this channel drew, the live replica answers.
    GrpcChannel replicas = channel("127.0.0.1:" + closed + ", " + target());
    Recorder r = call(replicas, "three", null);
    assertThat(r.end()).isNull();
    assertThat(r.names).hasSize(3);
  }

  @Test
  void a_server_that_goes_away_ends_open_calls_unavailable() throws Exception {
    Recorder r = call(channel(target()), "open", null);
    await().until(() -> r.names.size() == 1);
    server.shutdownNow();
    GrpcStatusException e = r.end();
    assertThat(e).isNotNull();
    assertThat(e.code()).isIn(Code.UNAVAILABLE, Code.CANCELLED);
  }

  @Test
  void calls_after_close_end_unavailable() throws Exception {
    GrpcChannel ch = channel(target());
    ch.close();
    GrpcStatusException e = call(ch, "three", null).end();
    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(Code.UNAVAILABLE);
    ch.close(); // again, as the test's clean-up does a third time: nothing happens
    ch.enterIdle();
  }

  @Test
  void a_name_is_looked_up_off_the_event_loop_and_a_failed_lookup_moves_on() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try {
      CountDownLatch answer = new CountDownLatch(1);
      List<String> asked = new CopyOnWriteArrayList<>();
      GrpcConnection.Resolver slow =
          host ->
              CompletableFuture.supplyAsync(() -> {
                asked.add(host);
                if (host.equals("gone.policy.test")) {
                  throw new IllegalStateException("no such name");
                }
                try {
                  answer.await(); // a resolver waiting for its timeouts
                  return new InetAddress[] {InetAddress.getLoopbackAddress()};
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      GrpcChannel ch = resolving("policy.test:" + server.getPort(), group, slow);
      Recorder r = call(ch, "three", null);
      await().until(() -> asked.contains("policy.test"));
      // While the name is being looked up, the loop (the proxy's admin loop) serves everything
      // else.
      assertThat(group.next().submit(() -> "served").get(5, TimeUnit.SECONDS)).isEqualTo("served");
      assertThat(r.end.isDone()).isFalse();
      answer.countDown();
      assertThat(r.end()).isNull();
      assertThat(r.names).hasSize(3);

      // A name that does not resolve is a failed dial: the list moves on to the next entry.
      GrpcChannel list =
          resolving("gone.policy.test:1,policy.test:" + server.getPort(), group, slow);
      Recorder second = call(list, "three", null);
      assertThat(second.end()).isNull();
      assertThat(second.names).hasSize(3);
      ch.close();
      list.close();
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /** A plaintext channel on {@code group} whose names {@code resolver} looks up. */
  private static GrpcChannel resolving(
      String target, EventLoopGroup group, GrpcConnection.Resolver resolver) {
    return new GrpcChannel(
        target, group, null, NioSocketChannel.class, null, null, Duration.ofSeconds(30), resolver);
  }

  @Test
  void targets_are_host_port_lists() {
    assertThat(GrpcChannel.parseTargets("10.0.0.5:8086")).containsExactly("10.0.0.5:8086");
    assertThat(GrpcChannel.parseTargets("dns:///policy.linkerd:8086"))
        .containsExactly("policy.linkerd:8086");
    assertThat(GrpcChannel.parseTargets("10.0.0.5:8086, 10.0.0.6:8086, [::1]:8086"))
        .containsExactlyInAnyOrder("10.0.0.5:8086", "10.0.0.6:8086", "[::1]:8086");
    assertThatThrownBy(() -> GrpcChannel.parseTargets("10.0.0.5:8086,10.0.0.6"))
        .hasMessage("'10.0.0.6' is not host:port");
    assertThatThrownBy(() -> GrpcChannel.parseTargets("10.0.0.5:8086,10.0.0.6:http"))
        .hasMessage("'10.0.0.6:http' is not host:port");
    assertThat(GrpcChannel.authorityHost("policy.portolan.serviceaccount.identity.x"))
        .isEqualTo("policy.portolan.serviceaccount.identity.x");
    assertThat(GrpcChannel.authorityHost("policy:8090")).isEqualTo("policy");
    assertThat(GrpcChannel.authorityHost("[::1]:8090")).isEqualTo("::1");
  }
}
