package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.policy.index.Index;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Proxies that watch the same destination share one topic and one answer whatever their context
 * tokens say (each proxy sends its own pod name): an extra subscriber costs a stream, not a copy of
 * the endpoint set. Over a real port, with real grpc-java clients.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0"})
class SharedTopicsTest {
  static final ManifestDir DIR = new ManifestDir("portolan-shared");
  static final int ENDPOINTS = 1_000;
  static final String PATH = "big.shared.svc.cluster.local:5432";

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Autowired GrpcServer grpc;
  @Autowired Index index;
  final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  @Test
  void get_subscribers_with_distinct_tokens_share_one_topic_and_an_extra_one_costs_little_heap()
      throws Exception {
    index.submit(Fleet.service("shared", "big", ENDPOINTS, 43));
    index.flush().get();
    DestinationGrpc.DestinationStub first = stub();
    List<Counting> streams = new ArrayList<>();
    streams.add(open(first, "client-0"));
    await().atMost(Duration.ofSeconds(30)).until(() -> streams.getFirst().complete());

    long before = usedHeapAfterGc();
    int extra = 200;
    DestinationGrpc.DestinationStub stub = stub();
    for (int i = 1; i <= extra; i++) {
      if (i % 100 == 0) {
        stub = stub();
      }
      streams.add(open(stub, "client-" + i));
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> streams.stream().allMatch(Counting::complete));
    long perSubscriber = (usedHeapAfterGc() - before) / extra;

    assertThat(index.topicCount()).as("topics for one destination").isEqualTo(1);
    // Server and clients share this JVM, so this bounds both sides of each stream together.
    assertThat(perSubscriber).as("heap per extra subscriber, bytes").isLessThan(64 * 1024);
    assertThat(streams).allSatisfy(s -> assertThat(s.failure.get()).isNull());
  }

  @Test
  void profile_subscribers_of_one_pod_ip_with_distinct_tokens_share_one_topic() throws Exception {
    index.submit(Fleet.service("shared-ip", "one", 1, 44));
    index.flush().get();
    int before = index.topicCount();
    DestinationGrpc.DestinationStub stub = stub();
    List<AtomicReference<DestinationProfile>> answers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      AtomicReference<DestinationProfile> answer = new AtomicReference<>();
      answers.add(answer);
      stub.getProfile(
          GetDestination.newBuilder()
              .setPath(Fleet.ip(44, 0) + ":5432")
              .setContextToken(Fleet.token("clients", "client-" + i))
              .build(),
          new StreamObserver<>() {
            @Override
            public void onNext(DestinationProfile p) {
              answer.set(p);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
    }
    await().until(() -> answers.stream().allMatch(a -> a.get() != null));
    index.flush().get();
    assertThat(index.topicCount() - before).isEqualTo(1);
    // Everyone is told the same: opaque, rewritten to the inbound port.
    assertThat(answers)
        .allSatisfy(a -> {
          assertThat(a.get()).isEqualTo(answers.getFirst().get());
          assertThat(a.get().getEndpoint().getProtocolHint().getOpaqueTransport().getInboundPort())
              .isEqualTo(4143);
        });
  }

  private DestinationGrpc.DestinationStub stub() {
    ManagedChannel ch =
        NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    channels.add(ch);
    return DestinationGrpc.newStub(ch);
  }

  private static Counting open(DestinationGrpc.DestinationStub stub, String pod) {
    Counting c = new Counting();
    stub.get(
        GetDestination.newBuilder()
            .setScheme("k8s")
            .setPath(PATH)
            .setContextToken(Fleet.token("clients", pod))
            .build(),
        c);
    return c;
  }

  static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Counts the addresses a stream holds; keeps no message, so it costs the client little. */
  static final class Counting implements StreamObserver<Update> {
    final AtomicInteger addresses = new AtomicInteger();
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    @Override
    public void onNext(Update u) {
      if (u.hasAdd()) {
        addresses.addAndGet(u.getAdd().getAddrsCount());
      } else if (u.hasRemove()) {
        addresses.addAndGet(-u.getRemove().getAddrsCount());
      }
    }

    @Override
    public void onError(Throwable t) {
      failure.set(t);
    }

    @Override
    public void onCompleted() {}

    boolean complete() {
      return addresses.get() == ENDPOINTS;
    }
  }
}
