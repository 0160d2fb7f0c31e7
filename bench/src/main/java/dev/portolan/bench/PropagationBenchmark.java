package dev.portolan.bench;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.ServiceInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Control-plane propagation and load, against the real policy-server in-process with real gRPC
 * clients on loopback. Scenarios: {@code one-destination}, {@code many-destinations}, {@code load}
 * and {@code kubernetes} (default: all). A change is submitted to the index (the point where a
 * source hands it over); a round ends when the last subscriber whose answer changed has received
 * it.
 */
public final class PropagationBenchmark {
  static final int WARMUP = 20;

  public static void main(String[] args) throws Exception {
    List<String> which =
        args.length == 0
            ? List.of("one-destination", "many-destinations", "load", "kubernetes")
            : List.of(args);
    Figures.machine();
    System.out.println(
        "peers: policy-server in this JVM; clients: grpc-java (netty-shaded) on 127.0.0.1");
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

  private static void run(String scenario) throws Exception {
    switch (scenario) {
      case "one-destination" -> oneDestination(1_000, 200);
      case "many-destinations" -> manyDestinations(1_000, 10, 300);
      case "load" -> load(10_000, 2_000);
      case "kubernetes" -> KubernetesPropagation.run(200);
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    }
  }

  static PodInfo pod(String ns, String name, String app, String ip, String sa) {
    return new PodInfo(
        ns,
        name,
        Map.of("app", app, "linkerd.io/control-plane-ns", "portolan"),
        Map.of(),
        List.of(new ContainerPort("http", 8080, "TCP")),
        sa,
        List.of(ip),
        null,
        null,
        "Running",
        true,
        true,
        null,
        null);
  }

  static ServiceInfo service(String ns, String name, String ip) {
    return new ServiceInfo(
        ns,
        name,
        Map.of(),
        Map.of("app", name),
        List.of(new ServiceInfo.ServicePort("http", 80, "http", null, "TCP")),
        List.of(ip),
        null);
  }

  /** A: {@code subscribers} streams of one Service; each round changes what all of them see. */
  static void oneDestination(int subscribers, int rounds) throws Exception {
    try (BenchServer server = new BenchServer(Manifests.empty())) {
      List<Change> setup = new ArrayList<>();
      setup.add(new Change.Upsert(new NamespaceInfo("bench", Map.of(), Map.of())));
      setup.add(new Change.Upsert(service("bench", "web", "10.96.0.1")));
      for (int p = 0; p < 3; p++) {
        setup.add(new Change.Upsert(pod("bench", "web-" + p, "web", "10.42.0." + (p + 1), "web")));
      }
      server.index.submit(setup);
      server.index.flush().get();
      List<String> paths = new ArrayList<>();
      for (int i = 0; i < subscribers; i++) {
        paths.add("web.bench.svc.cluster.local:80");
      }
      try (Streams streams = new Streams(server.grpcPort, paths)) {
        streams.awaitFirstMessages();
        Histogram h = Figures.histogram();
        for (int r = 0; r < WARMUP + rounds; r++) {
          String sa = "sa-r" + r;
          Streams.Round round = streams.begin(sa + ".", subscribers);
          long t0 = System.nanoTime();
          server.index.submit(new Change.Upsert(pod("bench", "web-0", "web", "10.42.0.1", sa)));
          await(round, r);
          if (r >= WARMUP) {
            h.recordValue(round.lastNanos.get() - t0);
          }
        }
        Figures.latency(
            "one-destination ("
                + subscribers
                + " subscribers of 1 Service, change -> last receipt)",
            h,
            50);
      }
    }
  }

  /** B: {@code services} Services with {@code perService} streams each; a round changes one. */
  static void manyDestinations(int services, int perService, int rounds) throws Exception {
    try (BenchServer server = new BenchServer(Manifests.empty())) {
      List<Change> setup = new ArrayList<>();
      List<String> paths = new ArrayList<>();
      for (int s = 0; s < services; s++) {
        String ns = "ns-" + (s % 50);
        setup.add(new Change.Upsert(service(ns, "svc-" + s, Manifests.ip(96, s))));
        setup.add(
            new Change.Upsert(pod(ns, "svc-" + s + "-0", "svc-" + s, Manifests.ip(42, s), "sa")));
        for (int k = 0; k < perService; k++) {
          paths.add("svc-" + s + "." + ns + ".svc.cluster.local:80");
        }
      }
      server.index.submit(setup);
      server.index.flush().get();
      try (Streams streams = new Streams(server.grpcPort, paths)) {
        streams.awaitFirstMessages();
        Histogram h = Figures.histogram();
        Random random = new Random(42);
        for (int r = 0; r < WARMUP + rounds; r++) {
          int s = random.nextInt(services);
          String ns = "ns-" + (s % 50);
          String sa = "sa-r" + r + "-s" + s;
          Streams.Round round = streams.begin(sa + ".", perService);
          long t0 = System.nanoTime();
          server.index.submit(
              new Change.Upsert(pod(ns, "svc-" + s + "-0", "svc-" + s, Manifests.ip(42, s), sa)));
          await(round, r);
          if (r >= WARMUP) {
            h.recordValue(round.lastNanos.get() - t0);
          }
        }
        Figures.latency(
            "many-destinations ("
                + services * perService
                + " subscribers over "
                + services
                + " Services, change -> last receipt)",
            h,
            250);
      }
    }
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

  private static void await(Streams.Round round, int r) throws InterruptedException {
    if (!round.remaining.await(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException(
          "round " + r + ": " + round.remaining.getCount() + " subscribers never got the change");
    }
  }

  private PropagationBenchmark() {}
}
