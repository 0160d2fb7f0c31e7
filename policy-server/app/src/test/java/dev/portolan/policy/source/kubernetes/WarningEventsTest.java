package dev.portolan.policy.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.policy.index.Index;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.resolve.Resolver;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.SyncState;
import dev.portolan.policy.source.TokenReports;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
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
    final Index index = new Index(new Resolver(MeshSettings.defaults()));
    final TokenReports reports = new TokenReports(registry);
    final KubernetesSource source;
    final WarningEvents events;

    Replica() {
      KubernetesSource[] holder = new KubernetesSource[1];
      events = new WarningEvents(client, key -> holder[0].uid(key));
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
}
