package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.v1.DiagnosticsGrpc;
import dev.portolan.api.v1.ExplainRequest;
import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.metrics.StreamRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Streams hold bounded memory whatever their clients do, and every limit refuses with a gRPC status
 * and a count (docs/operations.md, Limits). Over a real port, with real grpc-java clients.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "portolan.grpc.port=0",
      "portolan.limits.max-streams-per-connection=8",
      "portolan.limits.new-streams-per-second=1",
      "portolan.limits.new-streams-burst=30",
      "portolan.limits.max-request-size=1KB",
      "portolan.limits.max-update-size=16KB",
      "portolan.limits.unread-stream-timeout=1s"
    })
class BoundedStreamsTest {
  static final ManifestDir DIR = new ManifestDir("portolan-bounded");
  static final int ENDPOINTS = 1_000;
  static final String BIG = "big.bounded.svc.cluster.local:80";

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Autowired GrpcServer grpc;
  @Autowired Index index;
  @Autowired MeterRegistry registry;
  @Autowired StreamRegistry streams;
  final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void seed(@Autowired Index index) throws Exception {
    index.submit(Fleet.service("bounded", "big", ENDPOINTS, 45));
    index.submit(Fleet.service("bounded", "small", 1, 46));
    index.flush().get();
  }

  @AfterEach
  void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  @Test
  void a_large_first_answer_arrives_in_bounded_add_messages() {
    Reader r = new Reader(Integer.MAX_VALUE);
    destination(channel()).get(get(BIG), r);
    await().atMost(Duration.ofSeconds(30)).until(() -> r.addresses.get() == ENDPOINTS);
    assertThat(r.sizes).hasSizeGreaterThan(1);
    assertThat(r.sizes).allSatisfy(size -> assertThat(size).isLessThanOrEqualTo(17 * 1024));
  }

  @Test
  void a_stream_never_read_is_closed_after_the_limit_and_a_reader_keeps_its_updates() {
    double closedBefore = count("portolan.grpc.closed", "not-reading");
    // A small window and no reading: the server's writes back up as a stuck proxy's would.
    ManagedChannel stuckChannel =
        NettyChannelBuilder.forAddress("127.0.0.1", grpc.port())
            .usePlaintext()
            .flowControlWindow(16 * 1024)
            .build();
    channels.add(stuckChannel);
    Reader stuck = new Reader(0);
    destination(stuckChannel).get(get(BIG), stuck);
    Reader healthy = new Reader(Integer.MAX_VALUE);
    destination(channel()).get(get(BIG), healthy);
    await().atMost(Duration.ofSeconds(30)).until(() -> healthy.addresses.get() == ENDPOINTS);

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> count("portolan.grpc.closed", "not-reading") == closedBefore + 1);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() ->
            streams.list().stream()
                    .filter(s -> s.api().equals("destination.get") && s.key().contains("big"))
                    .count()
                == 1);
    // The server reset the stream, dropping what it still held for it: a client that reads again
    // gets what had reached it, then the end. (A status alone would wait behind the unread data,
    // which the server would hold until the client read it.)
    stuck.call.request(Integer.MAX_VALUE);
    await().atMost(Duration.ofSeconds(10)).until(() -> stuck.error.get() != null);
    // Reset (CANCELLED), not closed behind the data: it got only what its window had let through.
    assertThat(Status.fromThrowable(stuck.error.get()).getCode()).isEqualTo(Status.Code.CANCELLED);
    assertThat(stuck.addresses.get()).isLessThan(ENDPOINTS / 5);

    // The reader still gets changes.
    index.submit(new Change.Upsert(Fleet.pod("bounded", "big", 0, Fleet.ip(45, 0), "renamed")));
    await().atMost(Duration.ofSeconds(10)).until(() -> healthy.sawIdentity("renamed."));
  }

  @Test
  void streams_beyond_the_per_connection_limit_are_refused_and_a_closed_one_frees_its_slot() {
    double before = count("portolan.grpc.refused", "streams-per-connection");
    DestinationGrpc.DestinationStub stub = destination(channel());
    List<Reader> open = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Reader r = new Reader(Integer.MAX_VALUE);
      stub.get(get("small.bounded.svc.cluster.local:80"), r);
      open.add(r);
    }
    await().until(() -> open.stream().allMatch(r -> r.addresses.get() == 1));

    Reader ninth = new Reader(Integer.MAX_VALUE);
    stub.get(get("small.bounded.svc.cluster.local:80"), ninth);
    await().until(() -> ninth.error.get() != null);
    Status refused = Status.fromThrowable(ninth.error.get());
    assertThat(refused.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getDescription()).contains("streams").contains("8");
    assertThat(count("portolan.grpc.refused", "streams-per-connection")).isEqualTo(before + 1);

    open.getFirst().call.cancel("done", null);
    await()
        .untilAsserted(() -> {
          Reader r = new Reader(Integer.MAX_VALUE);
          stub.get(get("small.bounded.svc.cluster.local:80"), r);
          await().until(() -> r.addresses.get() == 1 || r.error.get() != null);
          assertThat(r.error.get()).isNull();
        });
  }

  @Test
  void new_streams_beyond_the_rate_are_refused_with_a_status_and_counted() {
    double before = count("portolan.grpc.refused", "stream-rate");
    var explain = DiagnosticsGrpc.newBlockingStub(channel());
    int refused = 0;
    String description = null;
    for (int i = 0; i < 60; i++) {
      try {
        explain.explain(
            ExplainRequest.newBuilder()
                .setNamespace("bounded")
                .setKind("pod")
                .setName("x")
                .build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
          refused++;
          description = e.getStatus().getDescription();
        }
      }
    }
    assertThat(refused).isGreaterThan(0);
    assertThat(description).contains("per second");
    assertThat(count("portolan.grpc.refused", "stream-rate")).isEqualTo(before + refused);
  }

  @Test
  void an_oversize_request_is_refused_and_counted() {
    double before = count("portolan.grpc.refused", "request-size");
    Reader r = new Reader(Integer.MAX_VALUE);
    destination(channel()).get(get("x".repeat(4_000) + ".bounded.svc.cluster.local:80"), r);
    await().until(() -> r.error.get() != null);
    assertThat(Status.fromThrowable(r.error.get()).getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    await().until(() -> count("portolan.grpc.refused", "request-size") == before + 1);
  }

  private double count(String name, String reason) {
    Counter c = registry.find(name).tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  private ManagedChannel channel() {
    ManagedChannel ch =
        NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    channels.add(ch);
    return ch;
  }

  private static DestinationGrpc.DestinationStub destination(ManagedChannel ch) {
    return DestinationGrpc.newStub(ch);
  }

  private static GetDestination get(String path) {
    return GetDestination.newBuilder()
        .setScheme("k8s")
        .setPath(path)
        .setContextToken(Fleet.token("clients", "client-" + path.length()))
        .build();
  }

  /** Requests {@code initial} messages up front (0: never reads); keeps sizes, not messages. */
  static final class Reader implements ClientResponseObserver<GetDestination, Update> {
    final int initial;
    final AtomicInteger addresses = new AtomicInteger();
    final List<Integer> sizes = new CopyOnWriteArrayList<>();
    final List<String> identities = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    volatile ClientCallStreamObserver<GetDestination> call;

    Reader(int initial) {
      this.initial = initial;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<GetDestination> requestStream) {
      call = requestStream;
      if (initial != Integer.MAX_VALUE) {
        requestStream.disableAutoRequestWithInitial(initial);
      }
    }

    @Override
    public void onNext(Update u) {
      sizes.add(u.getSerializedSize());
      if (u.hasAdd()) {
        addresses.addAndGet(u.getAdd().getAddrsCount());
        if (u.getAdd().getAddrsCount() < 5) {
          u.getAdd()
              .getAddrsList()
              .forEach(a -> identities.add(a.getTlsIdentity().getDnsLikeIdentity().getName()));
        }
      } else if (u.hasRemove()) {
        addresses.addAndGet(-u.getRemove().getAddrsCount());
      }
    }

    boolean sawIdentity(String prefix) {
      return identities.stream().anyMatch(i -> i.startsWith(prefix));
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
    }

    @Override
    public void onCompleted() {}
  }
}
