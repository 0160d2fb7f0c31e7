package dev.portolan.bench;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.metrics.StreamRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The control plane at cluster scale, as production looks: every subscriber sends its own context
 * token (a distinct pod name), Services have real endpoint counts, and the subscribers live in a
 * process of their own ({@link Fleet}) so that heap, direct memory and RSS printed here are the
 * server's. Rounds change one backend Pod's service account; a round ends when the last subscriber
 * that must see the new identity has it (times compared on the machine's monotonic clock).
 */
final class ScaleScenarios {
  static final String BIG_PATH = "big.bench.svc.cluster.local:80";

  private ScaleScenarios() {}

  /** {@code subscribers} streams of one Service of three Pods; target p99 ≤ 50 ms. */
  static void oneDestination(int subscribers, int rounds) throws Exception {
    try (BenchServer server = new BenchServer(Manifests.empty())) {
      seedOne(server, 3);
      try (Fleet fleet = Fleet.one(server.grpcPort, BIG_PATH, subscribers, 3)) {
        fleet.awaitComplete(120);
        CostHolder cost = new CostHolder();
        Histogram h = rounds(server, List.of(fleet), rounds, r -> subscribers, r -> 0, cost);
        Figures.latency(
            "one-destination ("
                + subscribers
                + " subscribers with distinct tokens, 1 Service of 3 Pods, change -> last receipt)",
            h,
            50);
        if (cost.start != null) {
          ServerCost.print("one-destination cost", cost.start, rounds);
        }
      }
    }
  }

  /** Where {@link #rounds} notes the cost at the first measured round. */
  private static final class CostHolder {
    @org.jspecify.annotations.Nullable ServerCost start;
  }

  /**
   * (b) {@code subscribers} streams of one Service of {@code endpoints} Pods: heap above an empty
   * server (target ≤ 64 MiB at 1,000 × 1,000), per extra subscriber (target ≤ 8 KiB).
   */
  static void bigDestination(int endpoints, int subscribers, int rounds) throws Exception {
    try (BenchServer server = new BenchServer(Manifests.empty())) {
      long empty = Figures.usedHeapAfterGc();
      seedOne(server, endpoints);
      long seeded = Figures.usedHeapAfterGc();
      try (Fleet first = Fleet.one(server.grpcPort, BIG_PATH, 1, endpoints)) {
        first.awaitComplete(120);
        long one = Figures.usedHeapAfterGc();
        try (Fleet rest = Fleet.one(server.grpcPort, BIG_PATH, subscribers - 1, endpoints, 1)) {
          rest.awaitComplete(600);
          long all = Figures.usedHeapAfterGc();
          double aboveEmpty = (all - empty) / 1048576.0;
          double perExtra = (all - one) / 1024.0 / (subscribers - 1);
          System.out.printf(
              "big-destination: %d subscribers with distinct tokens of 1 Service of %d endpoints,"
                  + " %d topic(s): heap above an empty server %.1f MiB (target <= 64: %s);"
                  + " the endpoints alone %.1f MiB; the first subscriber %.1f KiB;"
                  + " each further subscriber %.2f KiB (target <= 8: %s); %s%n",
              subscribers,
              endpoints,
              server.index.topicCount(),
              aboveEmpty,
              aboveEmpty <= 64 ? "MET" : "MISSED",
              (seeded - empty) / 1048576.0,
              (one - seeded) / 1024.0,
              perExtra,
              perExtra <= 8 ? "MET" : "MISSED",
              NativeFigures.sample());
          Histogram h = rounds(server, List.of(first, rest), rounds, r -> 1, r -> subscribers - 1);
          Figures.latency(
              "big-destination ("
                  + subscribers
                  + " subscribers of 1 Service of "
                  + endpoints
                  + " endpoints, change of one -> last receipt)",
              h,
              250);
        }
      }
    }
  }

  /**
   * (a) {@code perService} streams of each of {@code services} Services in 50 namespaces, each with
   * its own token: heap per subscriber; a round changes one random Service (p99 ≤ 250 ms).
   */
  static void manyDestinations(int services, int perService, int rounds) throws Exception {
    try (BenchServer server = new BenchServer(Manifests.empty())) {
      seedMany(server, services);
      long seeded = Figures.usedHeapAfterGc();
      try (Fleet fleet = Fleet.many(server.grpcPort, services, perService)) {
        fleet.awaitComplete(600);
        long all = Figures.usedHeapAfterGc();
        int subscribers = services * perService;
        System.out.printf(
            "many-destinations: %d subscribers with distinct tokens over %d Services, %d topics:"
                + " heap for the subscribers %.1f MiB = %.2f KiB per subscriber; %s%n",
            subscribers,
            services,
            server.index.topicCount(),
            (all - seeded) / 1048576.0,
            (all - seeded) / 1024.0 / subscribers,
            NativeFigures.sample());
        Random random = new Random(42);
        int[] chosen = new int[PropagationBenchmark.WARMUP + rounds];
        for (int i = 0; i < chosen.length; i++) {
          chosen[i] = random.nextInt(services);
        }
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
        for (int r = 0; r < chosen.length; r++) {
          int s = chosen[r];
          String sa = "sa-r" + r + "-s" + s;
          fleet.beginRound(sa + ".", perService, 30);
          long t0 = System.nanoTime();
          server.index.submit(
              new Change.Upsert(
                  PropagationBenchmark.pod(
                      ns(s), "svc-" + s + "-0", "svc-" + s, Manifests.ip(42, s), sa)));
          long last = fleet.endRound();
          if (r >= PropagationBenchmark.WARMUP) {
            h.recordValue(Math.max(0, last - t0));
          }
        }
        Figures.latency(
            "many-destinations ("
                + subscribers
                + " subscribers with distinct tokens over "
                + services
                + " Services, change -> last of its "
                + perService
                + ")",
            h,
            250);
      }
    }
  }

  /**
   * (c) {@code stalled} streams of the big Service whose clients never read, beside one reader:
   * direct memory and RSS before, while and after they are closed for not reading, and the reader's
   * propagation without and with them.
   */
  static void stalled(int endpoints, int stalled, int rounds) throws Exception {
    try (BenchServer server = new BenchServer(Manifests.empty())) {
      seedOne(server, endpoints);
      StreamRegistry registry = server.context.getBean(StreamRegistry.class);
      MeterRegistry meters = server.context.getBean(MeterRegistry.class);
      try (Fleet reader = Fleet.one(server.grpcPort, BIG_PATH, 1, endpoints)) {
        reader.awaitComplete(120);
        System.gc();
        System.out.println("stalled: before: " + NativeFigures.sample());
        Histogram alone = rounds(server, List.of(reader), rounds, r -> 1, r -> 0);
        Figures.latency("stalled: the reader alone (change -> receipt)", alone, 250);

        long opened = System.nanoTime();
        // 64 KiB stream windows (HTTP/2's default), and once the streams are open the process
        // stops: it reads nothing more, as a wedged proxy would.
        try (Fleet stuck = Fleet.stalled(server.grpcPort, BIG_PATH, stalled, 65_535)) {
          await(() -> registry.size() >= stalled + 1, Duration.ofMinutes(5));
          stuck.suspend();
          Thread.sleep(5_000); // let the server write what the windows take and queue the rest
          long waiting = registry.list().stream().filter(s -> s.waitingOnFlowControl()).count();
          System.out.println(
              "stalled: "
                  + stalled
                  + " streams open, their client stopped, "
                  + waiting
                  + " held by flow control: "
                  + NativeFigures.sample());
          Histogram with = rounds(server, List.of(reader), rounds, r -> 1, r -> 0);
          Figures.latency(
              "stalled: the reader beside " + stalled + " stalled streams (change -> receipt)",
              with,
              250);
          System.out.println("stalled: after the rounds: " + NativeFigures.sample());
          // Closed after portolan.limits.unread-stream-timeout (30 s) without reading.
          long settle = opened + TimeUnit.SECONDS.toNanos(40);
          double before = -1;
          while (true) {
            double now = count(meters, "portolan.grpc.closed", "not-reading");
            if (now == before && System.nanoTime() > settle) {
              break;
            }
            before = now;
            Thread.sleep(2_000);
          }
          System.gc();
          System.out.printf(
              "stalled: %.0f streams closed for not reading (%d still open); %s%n",
              before, registry.size(), NativeFigures.sample());
          stuck.resume(); // so that it can close
        }
      }
    }
  }

  /**
   * (d) A reconnect storm: {@code perService} subscribers of each of {@code services} Services; the
   * server stops and a new one starts on the same port; time until every subscriber holds its
   * answer again (target ≤ 20 s). Subscribers come back with the proxy's own backoff.
   */
  static void restart(int services, int perService) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    BenchServer first = new BenchServer(Manifests.empty(), port);
    seedMany(first, services);
    try (Fleet fleet = Fleet.many(port, services, perService)) {
      fleet.awaitComplete(600);
      long stop = System.nanoTime();
      first.close();
      long lost = fleet.awaitLost(120);
      long down = System.nanoTime();
      try (BenchServer second = new BenchServer(Manifests.empty(), port)) {
        long up = System.nanoTime();
        seedMany(second, services);
        long last = fleet.awaitComplete(120);
        double total = (last - stop) / 1e9;
        System.out.printf(
            "restart: %d subscribers over %d Services: stop -> all re-served %.1f s (target <="
                + " 20: %s); the stop took %.1f s, the new server's start %.1f s, new server up"
                + " -> all re-served %.1f s; %d stream ends seen by the clients%n",
            services * perService,
            services,
            total,
            total <= 20 ? "MET" : "MISSED",
            (down - stop) / 1e9,
            (up - down) / 1e9,
            (last - up) / 1e9,
            lost);
      }
    }
  }

  /** The big Service: {@code endpoints} Pods of one Deployment in namespace bench. */
  static void seedOne(BenchServer server, int endpoints) throws Exception {
    List<Change> setup = new ArrayList<>();
    setup.add(new Change.Upsert(PropagationBenchmark.namespace("bench")));
    setup.add(new Change.Upsert(PropagationBenchmark.service("bench", "big", "10.96.0.1")));
    for (int p = 0; p < endpoints; p++) {
      setup.add(
          new Change.Upsert(PropagationBenchmark.pod("bench", "big-" + p, "big", ip(p), "big")));
    }
    server.index.submit(setup);
    server.index.flush().get();
  }

  /** {@code services} Services of one Pod each in 50 namespaces. */
  static void seedMany(BenchServer server, int services) throws Exception {
    List<Change> setup = new ArrayList<>();
    for (int s = 0; s < services; s++) {
      setup.add(
          new Change.Upsert(PropagationBenchmark.service(ns(s), "svc-" + s, Manifests.ip(96, s))));
      setup.add(
          new Change.Upsert(
              PropagationBenchmark.pod(
                  ns(s), "svc-" + s + "-0", "svc-" + s, Manifests.ip(42, s), "sa")));
    }
    server.index.submit(setup);
    server.index.flush().get();
  }

  static String ns(int service) {
    return "ns-" + (service % 50);
  }

  private static String ip(int p) {
    return Manifests.ip(43, p);
  }

  /** Rounds changing big-0's service account; the fleets' counts come from the functions. */
  private static Histogram rounds(
      BenchServer server,
      List<Fleet> fleets,
      int rounds,
      java.util.function.IntUnaryOperator firstCount,
      java.util.function.IntUnaryOperator secondCount)
      throws Exception {
    return rounds(server, fleets, rounds, firstCount, secondCount, new CostHolder());
  }

  private static Histogram rounds(
      BenchServer server,
      List<Fleet> fleets,
      int rounds,
      java.util.function.IntUnaryOperator firstCount,
      java.util.function.IntUnaryOperator secondCount,
      CostHolder cost)
      throws Exception {
    Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
    for (int r = 0; r < PropagationBenchmark.WARMUP + rounds; r++) {
      if (r == PropagationBenchmark.WARMUP) {
        cost.start = ServerCost.now();
      }
      String sa = "sa-r" + r;
      for (int f = 0; f < fleets.size(); f++) {
        int n = f == 0 ? firstCount.applyAsInt(r) : secondCount.applyAsInt(r);
        fleets.get(f).beginRound(sa + ".", n, 60);
      }
      long t0 = System.nanoTime();
      server.index.submit(
          new Change.Upsert(PropagationBenchmark.pod("bench", "big-0", "big", ip(0), sa)));
      long last = 0;
      for (Fleet f : fleets) {
        last = Math.max(last, f.endRound());
      }
      if (r >= PropagationBenchmark.WARMUP) {
        h.recordValue(Math.max(0, last - t0));
      }
    }
    return h;
  }

  private static double count(MeterRegistry meters, String name, String reason) {
    Counter c = meters.find(name).tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  private static void await(java.util.function.BooleanSupplier done, Duration limit)
      throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("not reached within " + limit);
      }
      Thread.sleep(50);
    }
  }
}
