package dev.portolan.policy.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.policy.events.WarningEvents;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.IndexObserver;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.networkpolicy.NetworkPolicyConflicts;
import dev.portolan.policy.resolve.NetworkPolicyTransport;
import dev.portolan.policy.resolve.Resolver;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.ShadowedServers;
import dev.portolan.policy.source.SyncState;
import dev.portolan.policy.source.TokenReports;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * In cluster mode a conflict becomes a Warning Event on the NetworkPolicy, once per policy
 * generation (docs/networkpolicy.md); applying the suggested patch to the API server clears the
 * conflict. Against the fabric8 mock server in CRUD mode.
 */
class NetworkPolicyEventsTest {
  final RestartableMock mock = new RestartableMock();
  final KubernetesClient client = mock.client();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final Resolver resolver = new Resolver(MeshSettings.defaults(), new NetworkPolicyTransport());
  final NetworkPolicyConflicts conflicts = new NetworkPolicyConflicts(resolver, true, registry);
  final ShadowedServers shadowed = new ShadowedServers();
  final Index index = new Index(resolver, IndexObserver.compose(shadowed, conflicts));
  final List<String> told = new CopyOnWriteArrayList<>();
  KubernetesSource source;
  WarningEvents events;

  @AfterEach
  void tearDown() {
    if (source != null) {
      source.close();
    }
    if (events != null) {
      events.close();
    }
    conflicts.close();
    index.close();
    mock.close();
  }

  void start() {
    KubernetesSource[] holder = new KubernetesSource[1];
    events = KubernetesEventSink.recorder(client, key -> holder[0].uid(key));
    conflicts.addListener(events);
    conflicts.addListener((policy, message) -> told.add(message));
    TokenReports reports = new TokenReports(registry);
    reports.addListener(events);
    source =
        new KubernetesSource(
            client,
            new ClusterSink(index, reports),
            new SyncState(),
            Duration.ofSeconds(20),
            registry);
    holder[0] = source;
    source.start();
  }

  static Pod pod(String name, String app, String ip) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("np")
        .addToLabels("app", app)
        .addToLabels("linkerd.io/control-plane-ns", "portolan")
        .addToAnnotations("config.linkerd.io/opaque-ports", "6379")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("main")
        .addNewPort()
        .withName("redis")
        .withContainerPort(6379)
        .endPort()
        .endContainer()
        .addNewContainer()
        .withName("portolan-proxy")
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .addNewPodIP(ip)
        .withHostIP("192.0.2.1")
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .endStatus()
        .build();
  }

  static NetworkPolicy policy(int... ports) {
    var rule =
        new NetworkPolicyBuilder()
            .withNewMetadata()
            .withName("redis")
            .withNamespace("np")
            .endMetadata()
            .withNewSpec()
            .withNewPodSelector()
            .addToMatchLabels("app", "redis")
            .endPodSelector()
            .withPolicyTypes("Ingress")
            .addNewIngress()
            .addNewFrom()
            .withNewPodSelector()
            .addToMatchLabels("app", "client")
            .endPodSelector()
            .endFrom();
    for (int p : ports) {
      rule = rule.addNewPort().withProtocol("TCP").withPort(new IntOrString(p)).endPort();
    }
    return rule.endIngress().endSpec().build();
  }

  private List<Event> events() {
    return client.v1().events().inNamespace("np").list().getItems().stream()
        .filter(e -> e.getReason().equals(WarningEvents.NETWORK_POLICY))
        .toList();
  }

  @Test
  void a_conflict_is_one_warning_event_on_the_policy_and_the_patch_clears_it() {
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName("np").endMetadata().build())
        .create();
    client.resource(pod("redis-0", "redis", "10.79.0.10")).create();
    client.resource(pod("client-0", "client", "10.79.0.20")).create();
    client.resource(policy(6379)).create();
    start();

    await().atMost(Duration.ofSeconds(20)).until(() -> events().size() == 1);
    Event e = events().getFirst();
    assertThat(e.getType()).isEqualTo("Warning");
    assertThat(e.getInvolvedObject().getKind()).isEqualTo("NetworkPolicy");
    assertThat(e.getInvolvedObject().getName()).isEqualTo("redis");
    assertThat(e.getMessage()).contains("np/redis ingress[0]", "4143", "6379");

    // Another client of the same policy: the report changes, the policy's generation does not.
    client.resource(pod("client-1", "client", "10.79.0.21")).create();
    await().until(() -> told.stream().anyMatch(m -> m.contains("2 meshed clients")));
    // The Event writer is one thread: an Event queued after the conflict's proves it got past it.
    Pod bad = pod("bad-0", "other", "10.79.0.30");
    bad.getMetadata().getAnnotations().put("config.linkerd.io/opaque-ports", "nope");
    client.resource(bad).create();
    await()
        .until(() ->
            client.v1().events().inNamespace("np").list().getItems().stream()
                .anyMatch(ev -> ev.getReason().equals(WarningEvents.REASON)));
    assertThat(events()).hasSize(1);

    // The suggested patch, applied to the API server, clears the conflict.
    String patch = conflicts.report().conflicts().getFirst().patch();
    NetworkPolicy patched = new KubernetesSerialization().unmarshal(patch, NetworkPolicy.class);
    client.resource(patched).update();
    await().atMost(Duration.ofSeconds(20)).until(() -> conflicts.report().conflicts().isEmpty());
    assertThat(registry.get("portolan.networkpolicy.conflicts").gauge().value()).isZero();
  }
}
