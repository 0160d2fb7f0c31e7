package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.metrics.StreamRegistry;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.ServiceInfo;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A stream that stops reading accumulates nothing: while it is not writable the server keeps only
 * the topic's latest value, and when it reads again it gets one update to the newest state.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0"})
class SlowReaderTest {
  static final ManifestDir DIR = new ManifestDir("portolan-slow");

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Autowired GrpcServer grpc;
  @Autowired Index index;
  @Autowired MeterRegistry registry;
  @Autowired StreamRegistry streams;
  ManagedChannel channel;

  @AfterEach
  void close() {
    if (channel != null) {
      channel.shutdownNow();
    }
  }

  @Test
  void paused_stream_gets_one_coalesced_update_and_server_sends_nothing_while_paused()
      throws Exception {
    index.submit(
        List.of(
            new Change.Upsert(
                new ServiceInfo(
                    "slow",
                    "svc",
                    Map.of(),
                    Map.of("app", "slow"),
                    List.of(new ServiceInfo.ServicePort("", 80, "8080", null, "TCP")),
                    List.of("10.96.9.1"),
                    null)),
            new Change.Upsert(pod("sa-initial"))));
    index.flush().get();

    // A small client window makes "stops reading" reach the server quickly, as a stuck proxy would.
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", grpc.port())
            .usePlaintext()
            .flowControlWindow(16 * 1024)
            .build();
    PausedReader reader = new PausedReader();
    DestinationGrpc.newStub(channel)
        .get(GetDestination.newBuilder().setPath("svc.slow.svc.cluster.local:80").build(), reader);
    await().until(() -> reader.received.size() == 1);

    // Change until the transport pushes back for good (bounded: buffers are tens of KiB). "Not
    // ready" can be momentary: bytes queued before Netty flushed them into the client's window
    // make the call unready, and it turns ready again once they reach the socket. So the stream
    // counts as paused only when, idle, it stays unwritable for a while; until then, more changes.
    int i = 0;
    while (true) {
      assertThat(i).as("stream never became unwritable").isLessThan(100_000);
      index.submit(new Change.Upsert(pod("sa-" + i++)));
      index.flush().get();
      if (!stream().waitingOnFlowControl()) {
        continue;
      }
      await().until(() -> stream().idle());
      if (staysUnwritable()) {
        break;
      }
    }
    double sentWhenPaused = sent();

    for (int n = 0; n < 10_000; n++) {
      index.submit(new Change.Upsert(pod("sa-" + i++)));
    }
    index.flush().get(); // listeners have been signalled when this completes
    await().until(() -> stream().idle());

    // Not writable: 10,000 changes put nothing on the wire and queue nothing for this stream.
    assertThat(stream().waitingOnFlowControl()).isTrue();
    assertThat(sent()).isEqualTo(sentWhenPaused);

    int beforeResume = reader.received.size();
    String last = "sa-" + (i - 1) + ".";
    reader.call.request(Integer.MAX_VALUE);
    await().until(() -> reader.last() != null && identity(reader.last()).startsWith(last));
    // What was in flight when it paused, then exactly one update to the newest state.
    assertThat(reader.received.size()).isEqualTo((int) sentWhenPaused + 1);
    assertThat(beforeResume).isEqualTo(1);
  }

  /** Whether the idle stream stays unwritable for 300 ms (its client window is full). */
  private boolean staysUnwritable() {
    try {
      await()
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(2))
          .until(() -> stream().idle() && stream().waitingOnFlowControl());
      return true;
    } catch (ConditionTimeoutException e) {
      return false;
    }
  }

  private StreamRegistry.StreamInfo stream() {
    return streams.list().getFirst();
  }

  private double sent() {
    var c = registry.find("portolan.updates.sent").tag("api", "destination.get").counter();
    return c == null ? 0 : c.count();
  }

  private static String identity(Update u) {
    return u.getAdd().getAddrs(0).getTlsIdentity().getDnsLikeIdentity().getName();
  }

  private static PodInfo pod(String serviceAccount) {
    return new PodInfo(
        "slow",
        "slow-0",
        Map.of("app", "slow", "linkerd.io/control-plane-ns", "portolan"),
        Map.of(),
        List.of(new ContainerPort("http", 8080, "TCP")),
        serviceAccount,
        List.of("10.42.9.1"),
        null,
        null,
        "Running",
        true,
        true,
        null,
        null);
  }

  /** Takes the first message, then reads nothing until told to. */
  static final class PausedReader implements ClientResponseObserver<GetDestination, Update> {
    final List<Update> received = new CopyOnWriteArrayList<>();
    volatile ClientCallStreamObserver<GetDestination> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<GetDestination> requestStream) {
      call = requestStream;
      requestStream.disableAutoRequestWithInitial(1);
    }

    @Override
    public void onNext(Update value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    Update last() {
      return received.isEmpty() ? null : received.getLast();
    }
  }
}
