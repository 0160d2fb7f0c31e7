package dev.portolan.policy.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.policy.events.WarningEvents;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.resolve.Resolver;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.ShadowedServers;
import dev.portolan.policy.source.SyncState;
import dev.portolan.policy.source.TokenReports;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Invalid annotation tokens become one Warning Event per object and problem, not per replica. */
class WarningEventsTest {
  RestartableMock mock = new RestartableMock();
  KubernetesClient client = mock.client();
  Replica first;
  Replica second;

  /** One policy-server replica: index, reports, Event writer, informers. */
  final class Replica implements AutoCloseable {
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final TokenReports reports = new TokenReports(registry);
    final KubernetesSource source;
    final ShadowedServers shadowed = new ShadowedServers();
    final Index index = new Index(new Resolver(MeshSettings.defaults()), shadowed);
    final WarningEvents events;

    Replica() {
      KubernetesSource[] holder = new KubernetesSource[1];
      events = KubernetesEventSink.recorder(client, key -> holder[0].uid(key));
      reports.addListener(events);
      shadowed.addListener(events);
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

    @Override
    public void close() {
      source.close();
      events.close();
      index.close();
    }
  }

  @AfterEach
  void tearDown() {
    for (Replica r : new Replica[] {first, second}) {
      if (r != null) {
        r.close();
      }
    }
    mock.close();
  }

  static Pod pod(String name, String opaquePorts, String version) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("ev")
        .addToLabels("version", version)
        .addToAnnotations("config.linkerd.io/opaque-ports", opaquePorts)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("main")
        .endContainer()
        .endSpec()
        .build();
  }

  private List<Event> events() {
    return client.v1().events().inNamespace("ev").list().getItems();
  }

  @Test
  void invalid_annotation_gets_one_warning_event_across_edits_and_replicas() {
    first = new Replica();
    client.resource(pod("bad-0", "3306, abc-def, 70000", "1")).create();

    await().until(() -> events().size() == 1);
    Event e = events().getFirst();
    assertThat(e.getType()).isEqualTo("Warning");
    assertThat(e.getReason()).isEqualTo("InvalidPortToken");
    assertThat(e.getInvolvedObject().getName()).isEqualTo("bad-0");
    assertThat(e.getInvolvedObject().getUid()).isNotBlank();
    assertThat(e.getMessage())
        .contains("'abc-def'")
        .contains("unknown port name")
        .contains("'70000'");

    // An edit that keeps the same problem, and a second replica starting: no new Event.
    client.resource(pod("bad-0", "3306, abc-def, 70000", "2")).update();
    second = new Replica();
    // A later, different problem proves both writers have caught up.
    client.resource(pod("bad-1", "nope", "1")).create();
    await().until(() -> events().size() == 2);
    assertThat(events())
        .filteredOn(ev -> ev.getInvolvedObject().getName().equals("bad-0"))
        .hasSize(1);
  }

  @Test
  void a_shadowed_server_gets_a_warning_event() {
    first = new Replica();
    client.resource(pod("web-0", "80", "1")).create();
    var servers = client.genericKubernetesResources(KubernetesSource.SERVERS).inNamespace("ev");
    // The API server stamps creationTimestamp (to the second); the names break a tie the same way.
    servers.resource(server("a-older", "2025-01-01T00:00:00Z")).create();
    servers.resource(server("b-newer", "2025-06-01T00:00:00Z")).create();

    await().until(() -> events().stream().anyMatch(ev -> ev.getReason().equals("ShadowedServer")));
    Event e =
        events().stream()
            .filter(ev -> ev.getReason().equals("ShadowedServer"))
            .findFirst()
            .orElseThrow();
    assertThat(e.getInvolvedObject().getKind()).isEqualTo("Server");
    assertThat(e.getInvolvedObject().getName()).isEqualTo("b-newer");
    assertThat(e.getMessage()).contains("Server/ev/a-older");
  }

  @Test
  void a_server_with_a_malformed_detect_timeout_gets_a_warning_event() {
    first = new Replica();
    GenericKubernetesResource bad = server("slow", "2025-01-01T00:00:00Z");
    bad.getMetadata().setAnnotations(Map.of("config.portolan.io/detect-timeout", "soon"));
    bad.setAdditionalProperty(
        "spec", Map.of("podSelector", Map.of("matchLabels", Map.of("version", "1")), "port", 80));
    client
        .genericKubernetesResources(KubernetesSource.SERVERS)
        .inNamespace("ev")
        .resource(bad)
        .create();

    await()
        .until(() -> events().stream().anyMatch(ev -> ev.getReason().equals("InvalidPortToken")));
    Event e = events().getFirst();
    assertThat(e.getType()).isEqualTo("Warning");
    assertThat(e.getInvolvedObject().getKind()).isEqualTo("Server");
    assertThat(e.getInvolvedObject().getApiVersion()).isEqualTo("policy.linkerd.io/v1beta3");
    assertThat(e.getInvolvedObject().getName()).isEqualTo("slow");
    assertThat(e.getMessage())
        .contains("metadata.annotations[config.portolan.io/detect-timeout]")
        .contains("'soon'")
        .contains("not a duration")
        .contains("the install default applies");
  }

  static GenericKubernetesResource server(String name, String created) {
    GenericKubernetesResource g = new GenericKubernetesResource();
    g.setApiVersion("policy.linkerd.io/v1beta3");
    g.setKind("Server");
    g.setMetadata(
        new ObjectMetaBuilder()
            .withName(name)
            .withNamespace("ev")
            .withCreationTimestamp(created)
            .build());
    g.setAdditionalProperty(
        "spec",
        Map.of(
            "podSelector",
            Map.of("matchLabels", Map.of("version", "1")),
            "port",
            80,
            "proxyProtocol",
            "opaque"));
    return g;
  }
}
