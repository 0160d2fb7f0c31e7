package dev.portolan.policy;

import static dev.portolan.policy.Yaml.docs;
import static dev.portolan.policy.Yaml.namespace;
import static dev.portolan.policy.Yaml.pod;
import static dev.portolan.policy.Yaml.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.Server;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Replicas over the cluster source (docs/operations.md, "Replicas"): two real server processes
 * watch one fabric8 mock API server (CRUD mode, on a real port) and give identical answers; a
 * client that follows the proxy's rules (docs/proxy.md, "Reconnecting to the control plane") and
 * whose replica is killed (SIGKILL) moves to the other, whose first answer is the whole current
 * set, an edit made while the first was dead included: it never applies an empty answer.
 */
class ReplicasOverMockTest {
  static final String PATH = "web.web.svc.cluster.local:80";
  static KubernetesMockServer api;
  static MockCluster cluster;

  @BeforeAll
  static void startApiServer() {
    api =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    api.init(InetAddress.getLoopbackAddress(), 0);
    cluster = new MockCluster(api.createClient());
    cluster.write("ns", namespace("web", null));
    cluster.write("web", web(3, "web"));
  }

  @AfterAll
  static void stopApiServer() {
    api.destroy();
  }

  /** Service web over Pods web-0..web-{n-1}, each with service account {@code sa}. */
  static String web(int pods, String sa) {
    String[] d = new String[pods + 1];
    for (int i = 0; i < pods; i++) {
      // Yaml.pod names the service account after the app label: give it {@code sa}.
      d[i] =
          pod("web", "web-" + i, "web", "10.42.8." + (i + 1), "http", 8080)
              .replace("serviceAccountName: web", "serviceAccountName: " + sa);
    }
    d[pods] = service("web", "web", "web", "10.96.8.1", 80, "8080");
    return docs(d);
  }

  static ServerProcess replica() throws Exception {
    return ServerProcess.start(
        new ManifestDir("portolan-replica-unused"),
        Duration.ofSeconds(120),
        List.of(
            "-Dkubernetes.master=http://127.0.0.1:" + api.getPort(),
            "-Dkubernetes.auth.tryKubeConfig=false",
            "-Dkubernetes.auth.tryServiceAccount=false",
            "-Dkubernetes.namespace=default"),
        "--portolan.source=kubernetes",
        "--portolan.identity.enabled=false");
  }

  @Test
  void replicas_answer_alike_and_a_killed_ones_client_moves_without_an_empty_answer()
      throws Exception {
    try (ServerProcess a = replica();
        ServerProcess b = replica();
        Answers onA = new Answers(a.grpcPort());
        Answers onB = new Answers(b.grpcPort())) {
      await().atMost(Duration.ofSeconds(60)).until(() -> onA.serving() && onB.serving());

      // Identical answers, before and after an edit.
      assertThat(onA.endpoints()).hasSize(3).isEqualTo(onB.endpoints());
      assertThat(onA.profile()).isEqualTo(onB.profile());
      assertThat(onA.port("web-0")).isEqualTo(onB.port("web-0"));
      cluster.write("web", web(3, "edited"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() ->
              identities(onA.endpoints()).equals(Set.of("edited"))
                  && identities(onB.endpoints()).equals(Set.of("edited")));
      assertThat(onA.endpoints()).isEqualTo(onB.endpoints());

      try (Follower client = new Follower(List.of(a.grpcPort(), b.grpcPort()))) {
        await().atMost(Duration.ofSeconds(30)).until(() -> client.applied().size() == 3);
        long killed = System.nanoTime();
        a.close(); // SIGKILL: no GOAWAY, the connection just breaks
        cluster.write("web", web(4, "edited")); // while the client has no server
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> client.streams() >= 2 && client.applied().size() == 4);
        System.out.printf(
            "ReplicasOverMockTest: moved to the other replica with the edit in %d ms%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));

        assertThat(client.appliedSizes()).as("sizes of every answer applied").doesNotContain(0);
        assertThat(client.appliedSizes()).allMatch(n -> n >= 3);
        // The other replica's first message was the whole current set, in one add.
        Update first = client.firstMessages().get(1);
        assertThat(first.hasAdd()).as(first.toString()).isTrue();
        assertThat(first.getAdd().getAddrsCount()).isEqualTo(4);
        assertThat(client.applied()).isEqualTo(onB.endpoints());
      }
    }
  }

  private static Set<String> identities(Map<String, WeightedAddr> endpoints) {
    return endpoints.values().stream()
        .map(w -> w.getTlsIdentity().getDnsLikeIdentity().getName().split("\\.")[0])
        .collect(Collectors.toSet());
  }

  private static String key(WeightedAddr w) {
    return w.getAddr().getIp() + ":" + w.getAddr().getPort();
  }

  /** One-shot questions to one replica. */
  static final class Answers implements AutoCloseable {
    private final ManagedChannel channel;

    Answers(int port) {
      channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    }

    boolean serving() {
      try {
        return HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(2, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance())
                .getStatus()
            == HealthCheckResponse.ServingStatus.SERVING;
      } catch (RuntimeException e) {
        return false;
      }
    }

    /** The first answer of a Get, by address. */
    Map<String, WeightedAddr> endpoints() {
      var it =
          DestinationGrpc.newBlockingStub(channel)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .get(request());
      Update u = it.next();
      Map<String, WeightedAddr> m = new HashMap<>();
      u.getAdd().getAddrsList().forEach(w -> m.put(key(w), w));
      return m;
    }

    DestinationProfile profile() {
      return DestinationGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getProfile(request())
          .next();
    }

    Server port(String pod) {
      return InboundServerPoliciesGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getPort(PortSpec.newBuilder().setWorkload("web:" + pod).setPort(8080).build());
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }

  static GetDestination request() {
    return GetDestination.newBuilder()
        .setScheme("k8s")
        .setPath(PATH)
        .setContextToken("{\"ns\":\"web\",\"nodeName\":\"node-1\",\"pod\":\"client-0\"}")
        .build();
  }

  /**
   * A Get subscriber that behaves as the proxy's discovery client does: on a broken stream it
   * reconnects to the next replica after a jittered, doubling backoff, and keeps the answer it has
   * until the new stream's first message, which replaces it. Records every answer it applied.
   */
  static final class Follower implements AutoCloseable {
    private final List<ManagedChannel> channels;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor();
    private final List<Integer> appliedSizes = new CopyOnWriteArrayList<>();
    private final List<Update> firstMessages = new CopyOnWriteArrayList<>();
    private volatile Map<String, WeightedAddr> applied = Map.of();
    private volatile int streams;
    private volatile boolean closed;
    private int attempts;

    Follower(List<Integer> ports) {
      channels =
          ports.stream()
              .map(p -> ManagedChannelBuilder.forAddress("127.0.0.1", p).usePlaintext().build())
              .toList();
      open(0);
    }

    Map<String, WeightedAddr> applied() {
      return applied;
    }

    List<Integer> appliedSizes() {
      return appliedSizes;
    }

    List<Update> firstMessages() {
      return firstMessages;
    }

    int streams() {
      return streams;
    }

    private void open(int replica) {
      if (closed) {
        return;
      }
      DestinationGrpc.newStub(channels.get(replica))
          .get(
              request(),
              new StreamObserver<>() {
                // This stream's view, from its own messages only.
                private final Map<String, WeightedAddr> state = new HashMap<>();
                private boolean first = true;

                @Override
                public void onNext(Update u) {
                  if (first) {
                    first = false;
                    firstMessages.add(u);
                    streams++;
                    attempts = 0;
                  }
                  switch (u.getUpdateCase()) {
                    case ADD -> u.getAdd().getAddrsList().forEach(w -> state.put(key(w), w));
                    case REMOVE ->
                        u.getRemove()
                            .getAddrsList()
                            .forEach(a -> state.remove(a.getIp() + ":" + a.getPort()));
                    case NO_ENDPOINTS -> state.clear();
                    default -> {}
                  }
                  applied = Map.copyOf(state);
                  appliedSizes.add(state.size());
                }

                @Override
                public void onError(Throwable t) {
                  again(replica);
                }

                @Override
                public void onCompleted() {
                  again(replica);
                }
              });
    }

    private void again(int replica) {
      long base = Math.min(5_000, 100L << Math.min(attempts++, 6));
      long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
      int next = (replica + 1) % channels.size();
      if (!closed) {
        retries.schedule(() -> open(next), delay, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    public void close() {
      closed = true;
      retries.shutdownNow();
      channels.forEach(ManagedChannel::shutdownNow);
    }

    @Override
    public String toString() {
      return "applied " + appliedSizes + ", first messages " + firstMessages;
    }
  }
}
