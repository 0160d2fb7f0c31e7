package dev.portolan.policy.resolve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.index.SnapshotBuilder;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.model.ServerInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerShadowingTest {
  static PodInfo pod(String name, String app) {
    return new PodInfo(
        "ns",
        name,
        Map.of("app", app),
        Map.of(),
        List.of(new ContainerPort("http", 80, "TCP")),
        null,
        List.of("10.0.0.1"),
        null,
        null,
        "Running",
        true,
        true,
        null,
        null);
  }

  static ServerInfo server(String name, String app, String port, String created) {
    return new ServerInfo(
        "ns", name, LabelSelector.of(Map.of("app", app)), port, "opaque", Instant.parse(created));
  }

  static Snapshot snapshot(Resource... objects) {
    SnapshotBuilder b = new SnapshotBuilder(Snapshot.EMPTY);
    for (Resource r : objects) {
      b.apply(new Change.Upsert(r));
    }
    return b.build();
  }

  @Test
  void newer_server_on_the_same_pod_port_is_shadowed_by_the_older_one() {
    Snapshot s =
        snapshot(
            pod("web-0", "web"),
            server("newer", "web", "80", "2025-06-01T00:00:00Z"),
            server("older", "web", "http", "2025-01-01T00:00:00Z"));

    var shadowed = ServerShadowing.find(s, "ns");

    assertThat(shadowed).hasSize(1);
    assertThat(shadowed.getFirst().server().name()).isEqualTo("newer");
    assertThat(shadowed.getFirst().winner().name()).isEqualTo("older");
    assertThat(shadowed.getFirst().port()).isEqualTo(80);
  }

  @Test
  void servers_on_different_pods_or_ports_shadow_nothing() {
    Snapshot s =
        snapshot(
            pod("web-0", "web"),
            pod("db-0", "db"),
            server("a", "web", "80", "2025-01-01T00:00:00Z"),
            server("b", "db", "80", "2025-06-01T00:00:00Z"),
            server("c", "web", "8080", "2025-06-01T00:00:00Z"));

    assertThat(ServerShadowing.find(s, "ns")).isEmpty();
  }
}
