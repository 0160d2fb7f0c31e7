package dev.portolan.bench;

import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.OwnerRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.ServiceInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Control-plane propagation, memory and load, against the real policy-server in-process with real
 * gRPC clients on loopback (in a process of their own, {@link Fleet}, each sending its own context
 * token). Scenarios ({@link ScaleScenarios}): {@code one-destination}, {@code many-destinations},
 * {@code big-destination}, {@code stalled}, {@code restart}; {@code networkpolicy-edit} ({@link
 * NetworkPolicyScenario}); and {@code load}, {@code kubernetes} (default: all). A change is
 * submitted to the index (the point where a source hands it over); a round ends when the last
 * subscriber whose answer changed has received it.
 */
public final class PropagationBenchmark {
  /**
   * Unmeasured rounds before the measured ones ({@code WARMUP_ROUNDS=n}, default 100): a server
   * that has run for a while, as one in a cluster has. With 20, the first dozen measured rounds
   * still ran while the per-stream paths were being compiled, at three times the steady latency
   * (docs/benchmarks.md).
   */
  static final int WARMUP = Integer.parseInt(System.getenv().getOrDefault("WARMUP_ROUNDS", "100"));

  public static void main(String[] args) throws Exception {
    List<String> which =
        args.length == 0
            ? List.of(
                "one-destination",
                "many-destinations",
                "big-destination",
                "stalled",
                "restart",
                "networkpolicy-edit",
                "load",
                "kubernetes")
            : List.of(args);
    Figures.machine();
    System.out.println(
        "peers: policy-server in this JVM; clients: grpc-java (netty-shaded) on 127.0.0.1, in a"
            + " JVM of their own (-Xmx1g), "
            + Streams.STREAMS_PER_CONNECTION
            + " streams per connection; load average "
            + NativeFigures.loadAverage());
    try {
      for (String w : which) {
        run(w);
      }
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  /** Runs a scenario; {@code name:n} changes its number of subscribers (streams) to n. */
  private static void run(String scenario) throws Exception {
    long t0 = System.nanoTime();
    String[] parts = scenario.split(":");
    int n = parts.length > 1 ? Integer.parseInt(parts[1]) : -1;
    switch (parts[0]) {
      case "one-destination" -> ScaleScenarios.oneDestination(or(n, 1_000), 200);
      case "many-destinations" ->
          ScaleScenarios.manyDestinations(1_000, or(n, 10_000) / 1_000, 300);
      case "big-destination" -> ScaleScenarios.bigDestination(1_000, or(n, 1_000), 100);
      case "stalled" -> ScaleScenarios.stalled(1_000, or(n, 6_000), 50);
      case "restart" -> ScaleScenarios.restart(1_000, or(n, 10_000) / 1_000);
      case "load" -> load(10_000, 2_000);
      case "kubernetes" -> KubernetesPropagation.run(200);
      case "networkpolicy-edit" -> NetworkPolicyScenario.run(or(n, 1_000), 200);
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    System.out.printf(
        "(%s took %.0f s; load average now %s)%n",
        scenario, (System.nanoTime() - t0) / 1e9, NativeFigures.loadAverage());
  }

  private static int or(int given, int otherwise) {
    return given > 0 ? given : otherwise;
  }

  /** The Get path of Service {@code s} of {@link ScaleScenarios#seedMany}. */
  static String servicePath(int s) {
    return "svc-" + s + "." + ScaleScenarios.ns(s) + ".svc.cluster.local:80";
  }

  static NamespaceInfo namespace(String name) {
    return new NamespaceInfo(name, Map.of(), Map.of());
  }

  /** A ready meshed Pod of a Deployment, as a cluster holds them (labels, owner, node). */
  static PodInfo pod(String ns, String name, String app, String ip, String sa) {
    return new PodInfo(
        ns,
        name,
        Map.of(
            "app",
            app,
            "pod-template-hash",
            "7d9f8b6c5",
            "linkerd.io/control-plane-ns",
            "portolan"),
        Map.of(),
        List.of(new ContainerPort("http", 8080, "TCP")),
        sa,
        List.of(ip),
        "192.0.2.1",
        "node-1",
        "Running",
        true,
        true,
        null,
        new OwnerRef("ReplicaSet", app + "-7d9f8b6c5"));
  }

  static ServiceInfo service(String ns, String name, String ip) {
    return new ServiceInfo(
        ns,
        name,
        Map.of(),
        Map.of("app", name),
        List.of(new ServiceInfo.ServicePort("http", 80, "http", null, "TCP")),
        List.of(ip),
        ""); // ServiceInfo reads an empty type as ClusterIP
  }

  /**
   * C: a manifests directory of {@code pods} Pods / {@code services} Services: time to ready, heap.
   */
  static void load(int pods, int services) throws Exception {
    Path dir = Manifests.cluster(100, services, pods);
    long baseline;
    try (BenchServer empty = new BenchServer(Manifests.empty())) {
      baseline = Figures.usedHeapAfterGc();
    }
    long t0 = System.nanoTime();
    try (BenchServer server = new BenchServer(dir)) {
      long readyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      var sizes = server.index.snapshot().sizes();
      long heap = Figures.usedHeapAfterGc() - baseline;
      double perThousand = heap / 1048576.0 / (sizes.pods() / 1000.0);
      System.out.printf(
          "load: %d pods, %d services, %d servers in %d namespaces ready in %d ms (target <= 10000: %s);"
              + " heap above an empty server %.1f MiB = %.1f MiB per 1,000 pods (target <= 25: %s)%n",
          sizes.pods(),
          sizes.services(),
          sizes.servers(),
          sizes.namespaces(),
          readyMs,
          readyMs <= 10_000 ? "MET" : "MISSED",
          heap / 1048576.0,
          perThousand,
          perThousand <= 25 ? "MET" : "MISSED");
    }
  }

  private PropagationBenchmark() {}
}
