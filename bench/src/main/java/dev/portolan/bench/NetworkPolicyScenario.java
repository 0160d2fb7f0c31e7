package dev.portolan.bench;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.NetworkPolicyInfo.PolicyType;
import dev.portolan.policy.model.NetworkPolicyInfo.Port;
import dev.portolan.policy.model.NetworkPolicyInfo.Rule;
import dev.portolan.policy.model.OwnerRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.PortRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * A NetworkPolicy edit reaching open streams (docs/networkpolicy.md): {@code subscribers} proxies,
 * each a Pod of its own in 50 namespaces, watch one opaque Service of 3 Pods whose policy lets them
 * in on the application port only, so none is told to rewrite. Rounds alternate between adding the
 * inbound port 4143 to the rule (everyone is told to rewrite) and taking it out again; a round ends
 * when the last subscriber has the new hint. Target p99 ≤ 50 ms.
 *
 * <p>The edit is submitted to the index directly, as the one-destination scenario submits its
 * endpoint change: neither figure includes the manifests directory's file watch or its debounce.
 */
final class NetworkPolicyScenario {
  private NetworkPolicyScenario() {}

  static void run(int subscribers, int rounds) throws Exception {
    try (BenchServer server = new BenchServer(Manifests.empty())) {
      seed(server, subscribers);
      try (Fleet fleet = Fleet.one(server.grpcPort, ScaleScenarios.BIG_PATH, subscribers, 3)) {
        fleet.awaitComplete(120);
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
        ServerCost cost = null;
        for (int r = 0; r < PropagationBenchmark.WARMUP + rounds; r++) {
          if (r == PropagationBenchmark.WARMUP) {
            cost = ServerCost.now();
          }
          boolean open = r % 2 == 0; // the rounds alternate: add 4143, take it out
          fleet.beginRound(Streams.OPAQUE_TRANSPORT + (open ? "1" : "0"), subscribers, 60);
          long t0 = System.nanoTime();
          server.index.submit(new Change.Upsert(policy(open)));
          long last = fleet.endRound();
          if (r >= PropagationBenchmark.WARMUP) {
            h.recordValue(Math.max(0, last - t0));
          }
        }
        Figures.latency(
            "networkpolicy-edit ("
                + subscribers
                + " subscribers with distinct tokens and Pods in 50 namespaces, 1 opaque Service"
                + " of 3 Pods, policy edit -> last receipt of the new hint)",
            h,
            50);
        if (cost != null) {
          ServerCost.print("networkpolicy-edit cost", cost, rounds);
        }
      }
    }
  }

  /** The Service, its opaque Pods, the client Pods the fleet's tokens name, and the policy. */
  private static void seed(BenchServer server, int subscribers) throws Exception {
    List<Change> setup = new ArrayList<>();
    setup.add(
        new Change.Upsert(
            new NamespaceInfo(
                "bench", Map.of(), Map.of("config.linkerd.io/opaque-ports", "8080"))));
    setup.add(new Change.Upsert(PropagationBenchmark.service("bench", "big", "10.96.0.1")));
    for (int p = 0; p < 3; p++) {
      setup.add(
          new Change.Upsert(
              PropagationBenchmark.pod("bench", "big-" + p, "big", Manifests.ip(43, p), "big")));
    }
    for (int i = 0; i < subscribers; i++) {
      setup.add(new Change.Upsert(client(i)));
    }
    setup.add(new Change.Upsert(policy(false)));
    server.index.submit(setup);
    server.index.flush().get();
  }

  /** The Pod proxy {@code i} of the fleet names in its token ({@link Streams#token}). */
  private static PodInfo client(int i) {
    String token = Streams.token(i);
    String name = token.substring(token.indexOf("\"pod\":\"") + 7, token.lastIndexOf('"'));
    return new PodInfo(
        "clients-" + (i % 50),
        name,
        Map.of("app", "client", "linkerd.io/control-plane-ns", "portolan"),
        Map.of(),
        List.of(new ContainerPort("http", 8080, "TCP")),
        "client",
        List.of(Manifests.ip(44, i)),
        "192.0.2.1",
        "node-1",
        "Running",
        true,
        true,
        null,
        new OwnerRef("ReplicaSet", "client-7f9c6d5b8"));
  }

  /** Clients from every namespace may reach the Service's Pods on 8080, and 4143 when open. */
  private static NetworkPolicyInfo policy(boolean open) {
    var from =
        new NetworkPolicyInfo.Peer.Pods(
            LabelSelector.of(Map.of("app", "client")), LabelSelector.EVERYTHING);
    List<Port> ports = new ArrayList<>();
    ports.add(new Port.Numbers("TCP", PortRange.of(8080)));
    if (open) {
      ports.add(new Port.Numbers("TCP", PortRange.of(4143)));
    }
    return new NetworkPolicyInfo(
        "bench",
        "big",
        LabelSelector.of(Map.of("app", "big")),
        Set.of(PolicyType.INGRESS),
        List.of(new Rule(List.of(from), ports)),
        List.of());
  }
}
