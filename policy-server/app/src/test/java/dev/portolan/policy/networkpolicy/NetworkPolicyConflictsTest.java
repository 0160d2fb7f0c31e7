package dev.portolan.policy.networkpolicy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.ChangeSet;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.index.SnapshotBuilder;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Port;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.PortRange;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.resolve.NetworkPolicyTransport;
import dev.portolan.policy.resolve.Resolver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The conflict report is computed off the index's writer thread, for the latest snapshot only, once
 * the index has settled; reading it never computes, asking for the current one does.
 */
class NetworkPolicyConflictsTest {
  final Resolver resolver = new Resolver(MeshSettings.defaults(), new NetworkPolicyTransport());
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final List<String> told = new CopyOnWriteArrayList<>();
  Snapshot snapshot = Snapshot.EMPTY;

  @Test
  void publishing_does_not_compute_and_the_gauge_reads_the_last_report() throws Exception {
    try (var conflicts = conflicts(Duration.ofMinutes(1), Duration.ofMinutes(1))) {
      Snapshot s = publish(conflicts, server(), policy(), client(0));
      // Nothing settles for a minute: the report and the gauge are still the empty one.
      assertThat(conflicts.report().version()).isEqualTo(-1);
      assertThat(gauge()).isZero();

      var r = conflicts.current(Duration.ofSeconds(10));
      assertThat(r.version()).isEqualTo(s.version());
      assertThat(r.conflicts()).singleElement().satisfies(c -> assertThat(c.clients()).hasSize(1));
      assertThat(conflicts.report()).isSameAs(r);
      assertThat(gauge()).isEqualTo(1);
    }
  }

  @Test
  void batches_in_between_coalesce_into_the_latest() throws Exception {
    try (var conflicts = conflicts(Duration.ofMinutes(1), Duration.ofMinutes(1))) {
      publish(conflicts, server(), policy());
      Snapshot last = snapshot;
      for (int i = 0; i < 5; i++) {
        last = publish(conflicts, client(i));
      }
      var r = conflicts.current(Duration.ofSeconds(10));
      assertThat(r.version()).isEqualTo(last.version());
      assertThat(r.conflicts()).singleElement().satisfies(c -> assertThat(c.clients()).hasSize(5));
      // Computed once, at the latest snapshot: the listeners (told right after the report is
      // published) never heard of 1 to 4 clients.
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() ->
              assertThat(told)
                  .singleElement()
                  .satisfies(m -> assertThat(m).contains("5 meshed clients")));
    }
  }

  @Test
  void the_report_follows_once_the_index_settles() {
    try (var conflicts = conflicts(Duration.ofMillis(20), Duration.ofMillis(200))) {
      Snapshot s = publish(conflicts, server(), policy(), client(0));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> conflicts.report().version() == s.version());
      assertThat(conflicts.report().conflicts()).hasSize(1);
      await().atMost(Duration.ofSeconds(10)).until(() -> told.size() == 1);

      // The policy opens 4143: the conflict goes, without anyone asking.
      Snapshot open = publish(conflicts, policy(4143));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> conflicts.report().version() == open.version());
      assertThat(conflicts.report().conflicts()).isEmpty();
      assertThat(gauge()).isZero();
    }
  }

  @Test
  void changes_that_never_stop_are_still_reported_within_the_max_delay() {
    try (var conflicts = conflicts(Duration.ofMinutes(1), Duration.ofMillis(100))) {
      Snapshot s = publish(conflicts, server(), policy(), client(0));
      // The index never settles for a minute; the max delay computes it anyway.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> conflicts.report().version() == s.version());
      assertThat(conflicts.report().conflicts()).hasSize(1);
    }
  }

  NetworkPolicyConflicts conflicts(Duration settle, Duration maxDelay) {
    var c = new NetworkPolicyConflicts(resolver, true, registry, settle, maxDelay);
    c.addListener((policy, message) -> told.add(message));
    return c;
  }

  double gauge() {
    return registry.get("portolan.networkpolicy.conflicts").gauge().value();
  }

  Snapshot publish(NetworkPolicyConflicts conflicts, Resource... objects) {
    SnapshotBuilder b = new SnapshotBuilder(snapshot);
    if (snapshot == Snapshot.EMPTY) {
      b.apply(
          new Change.Upsert(
              new NamespaceInfo("np", Map.of(), Map.of("config.linkerd.io/opaque-ports", "6379"))));
    }
    for (Resource o : objects) {
      b.apply(new Change.Upsert(o));
    }
    ChangeSet changes = b.changes();
    snapshot = b.build();
    conflicts.snapshotPublished(snapshot, changes);
    return snapshot;
  }

  static PodInfo server() {
    return pod("redis-0", "redis", "10.80.0.10");
  }

  static PodInfo client(int i) {
    return pod("client-" + i, "client", "10.80.1." + (10 + i));
  }

  static PodInfo pod(String name, String app, String ip) {
    return new PodInfo(
        "np",
        name,
        Map.of("app", app, "linkerd.io/control-plane-ns", "portolan"),
        Map.of(),
        List.of(new ContainerPort("redis", 6379, "TCP")),
        app,
        List.of(ip),
        "192.0.2.1",
        "node-1",
        "Running",
        true,
        true,
        null,
        null);
  }

  /** Clients labelled app=client may reach redis on 6379, and on {@code more} ports. */
  static NetworkPolicyInfo policy(int... more) {
    var from = new NetworkPolicyInfo.Peer.Pods(LabelSelector.of(Map.of("app", "client")), null);
    List<Port> ports = new ArrayList<>();
    ports.add(new Port.Numbers("TCP", PortRange.of(6379)));
    for (int p : more) {
      ports.add(new Port.Numbers("TCP", PortRange.of(p)));
    }
    return new NetworkPolicyInfo(
        "np",
        "redis",
        LabelSelector.of(Map.of("app", "redis")),
        Set.of(PolicyType.INGRESS),
        List.of(new Rule(List.of(from), ports)),
        List.of());
  }
}
