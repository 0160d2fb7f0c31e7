package dev.portolan.policy.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.InboundKey;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.Subscription;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.resolve.Resolver;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.SyncState;
import dev.portolan.policy.source.TokenReports;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The cluster source under API-server faults, against a mock API server on loopback. */
class KubernetesFaultsTest {
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final Index index = new Index(new Resolver(MeshSettings.defaults()));
  final TokenReports reports = new TokenReports(registry);
  final SyncState sync = new SyncState();
  RestartableMock mock;
  KubernetesSource source;

  @AfterEach
  void tearDown() {
    if (source != null) {
      source.close();
    }
    if (mock != null) {
      mock.close();
    }
    index.close();
  }

  static Pod pod(String name, String ip, String opaquePorts) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("faults")
        .addToLabels("app", name)
        .addToLabels("linkerd.io/control-plane-ns", "portolan")
        .addToAnnotations("config.linkerd.io/opaque-ports", opaquePorts)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("main")
        .addNewPort()
        .withName("tcp")
        .withContainerPort(7000)
        .endPort()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .endStatus()
        .build();
  }

  private KubernetesSource start(KubernetesClient client, ClusterSink sink) {
    source = new KubernetesSource(client, sink, sync, Duration.ofSeconds(20), registry);
    source.start();
    return source;
  }

  @Test
  void unreachable_api_server_fails_start_within_the_sync_timeout_naming_the_resources()
      throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    Config config =
        new ConfigBuilder()
            .withMasterUrl("http://127.0.0.1:" + closedPort)
            .withRequestRetryBackoffLimit(0)
            .build();
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      KubernetesSource s =
          new KubernetesSource(
              client, new ClusterSink(index, reports), sync, Duration.ofSeconds(2), registry);
      long start = System.nanoTime();
      assertThatThrownBy(s::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("pods")
          .hasMessageContaining("RBAC")
          .hasMessageContaining("portolan.kubernetes.sync-timeout");
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
      assertThat(sync.allSynced()).isFalse();
    }
  }

  @Test
  void reachable_api_server_makes_the_source_ready() {
    mock = new RestartableMock();
    start(mock.client(), new ClusterSink(index, reports));
    assertThat(sync.allSynced()).isTrue();
  }

  @Test
  void an_event_whose_handling_throws_is_skipped_and_the_next_one_still_arrives() throws Exception {
    mock = new RestartableMock();
    KubernetesClient client = mock.client();
    ClusterSink exploding =
        new ClusterSink(index, reports) {
          @Override
          public void apply(List<Change> changes) {
            for (Change c : changes) {
              if (c instanceof Change.Upsert u && u.resource().name().equals("bomb")) {
                throw new IllegalStateException("handler failure for the test");
              }
            }
            super.apply(changes);
          }
        };
    start(client, exploding);
    client.resource(pod("bomb", "10.42.3.1", "7000")).create();
    client.resource(pod("next", "10.42.3.2", "7000")).create();

    await().until(() -> index.snapshot().pod("faults", "next") != null);
    assertThat(index.snapshot().pod("faults", "bomb")).isNull();
    assertThat(
            registry.get("portolan.source.event.errors").tag("resource", "pods").counter().count())
        .isEqualTo(1.0);
  }

  @Test
  void api_server_down_for_30s_then_410_on_rewatch_keeps_answers_and_converges() throws Exception {
    mock = new RestartableMock();
    KubernetesClient client = mock.client();
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName("faults").endMetadata().build())
        .create();
    client.resource(pod("db-0", "10.42.3.10", "7000")).create();
    client.resource(pod("gone-0", "10.42.3.11", "7000")).create();
    start(client, new ClusterSink(index, reports));

    // Every value the topic publishes; the listener may run before subscribe() returns.
    List<InboundKey.Policy> seen = new CopyOnWriteArrayList<>();
    AtomicReference<Subscription<InboundKey.Policy>> holder = new AtomicReference<>();
    Runnable record =
        () -> {
          Subscription<InboundKey.Policy> s = holder.get();
          if (s != null && s.current() != null) {
            seen.add(s.current().value());
          }
        };
    Subscription<InboundKey.Policy> sub =
        index.subscribe(new InboundKey("faults", "db-0", 7000), record);
    holder.set(sub);
    record.run();
    await().until(() -> sub.current() != null && sub.current().value().protocol().isOpaque());

    mock.stop();
    // While the API server is away the last known answers stay: nothing is removed.
    await()
        .during(Duration.ofSeconds(30))
        .atMost(Duration.ofSeconds(40))
        .until(() ->
            index.snapshot().pod("faults", "db-0") != null
                && index.snapshot().pod("faults", "gone-0") != null);

    // Changes made meanwhile (applied straight to the store) and a compacted watch on restart.
    mock.expireNextPodWatches(1);
    mock.start();
    client.pods().inNamespace("faults").withName("gone-0").delete();
    client.resource(pod("db-0", "10.42.3.10", "8000")).update();

    await()
        .atMost(Duration.ofSeconds(90))
        .until(() -> index.snapshot().pod("faults", "gone-0") == null);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> !sub.current().value().protocol().isOpaque());
    // Never an empty intermediate answer for the Pod that stayed.
    assertThat(seen).allMatch(InboundKey.Policy::podExists);
    sub.close();
  }
}
