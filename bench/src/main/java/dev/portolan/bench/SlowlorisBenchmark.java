package dev.portolan.bench;

import static dev.portolan.bench.SlowlorisProbes.REUSE;
import static dev.portolan.bench.SlowlorisProbes.count;
import static dev.portolan.bench.SlowlorisProbes.curl;
import static dev.portolan.bench.SlowlorisProbes.evicted;
import static dev.portolan.bench.SlowlorisProbes.gauge;
import static dev.portolan.bench.SlowlorisProbes.javaPid;
import static dev.portolan.bench.SlowlorisProbes.loadAverage;
import static dev.portolan.bench.SlowlorisProbes.nmt;
import static dev.portolan.bench.SlowlorisProbes.rssKib;

import dev.portolan.bench.SlowlorisProbes.Requests;
import dev.portolan.proxy.peers.Nginx;
import dev.portolan.proxy.peers.Slowloris;
import dev.portolan.proxy.testbed.DeployedProxy;
import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.TestBed;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * Issue 23's figure: a legitimate client's latency through a pod's inbound proxy while 10,000
 * slowloris connections are held at it (docs/design/detection.md: the cap on connections in
 * detection evicts the oldest). One bed: an attacker pod, a user pod, and a meshed server pod with
 * nginx whose proxy runs as the image launches it ({@link DeployedProxy}). Phases alternate quiet,
 * attack, quiet, … ({@code attacks} attacks); in each the user makes {@code requests} HTTP/1.1
 * requests with curl, one new connection each (every request passes detection, where the attack
 * competes with it). Prints p50/p99 per phase, the attack/quiet p99 ratio, the proxy's VmRSS growth
 * and the evicted count, with the machine's load.
 *
 * <p>{@code BASELINE=haproxy}: the same phases with HAProxy in the proxy's place (the server pod
 * unmeshed, HAProxy on port {@value #HAPROXY_PORT} in front of nginx, holding slow requests for 120
 * s as the proxy's detection does): how much of the storm's cost is this machine's, where the
 * attacker, the user and the server share two cores.
 *
 * <p>Run from data-plane/ (bench/dataplane.sh --slowloris does): {@link DeployedProxy} reads the
 * launcher's options from its Dockerfile.
 */
final class SlowlorisBenchmark {
  static final String ATTACKER = "10.244.77.97";
  static final String USER = "10.244.77.98";
  static final String SERVER = "10.244.77.99";

  /**
   * The attack's connections: 10,000, or {@code ATTACK=n}. HAProxy needs two descriptors per
   * connection it admits and this machine's hard limit is 20,000: its baseline holds at most 9,990.
   */
  static final int CONNECTIONS =
      Integer.parseInt(System.getenv().getOrDefault("ATTACK", "10000").strip());

  static final int HAPROXY_PORT = 8090;

  /** HAProxy instead of the proxy ({@code BASELINE=haproxy}). */
  static final boolean HAPROXY = "haproxy".equals(System.getenv("BASELINE"));

  /** The port the user and the attacker connect to. */
  static final String PORT = HAPROXY ? Integer.toString(HAPROXY_PORT) : "8080";

  /**
   * Unmeasured requests first, so that the proxy's HTTP/1 detection path is compiled (C2 alone, one
   * compiler thread): after 600 the first quiet phase was still twice as slow as the last.
   */
  static final int WARMUP = 1_500;

  /**
   * Requests per batch during the storm: between batches the bench asks the proxy whether it has
   * seen every held connection yet (a scrape, which then takes its own share of the loop).
   */
  static final int STORM_BATCH = 25;

  private static final long STORM_LIMIT_NANOS = 120_000_000_000L;

  private static final Pattern HELD = Pattern.compile("holding (\\d+) of");
  private static final String ERROR = "inbound_tcp_detect_results_total\\{result=\"error\"\\}";

  private SlowlorisBenchmark() {}

  /** What a phase measures. */
  enum Kind {
    /** No attack. */
    QUIET,
    /** From the attacker's start until the proxy has seen every connection it holds. */
    STORM,
    /** The attack held, every connection evicted or in detection. */
    HELD
  }

  /** One phase's figures. */
  private record Phase(
      String name,
      Kind kind,
      Histogram latency,
      long rssKib,
      long rssMaxKib,
      long evicted,
      long held,
      double seconds,
      List<String> failed,
      String slowest) {}

  static void run(int requests, int attacks) throws Exception {
    Figures.machine();
    System.out.printf(
        "nproc %s; load average before: %s%n",
        Runtime.getRuntime().availableProcessors(), loadAverage());
    List<String> jvm = new ArrayList<>(DeployedProxy.jvmOptions());
    // EXTRA_JVM="…" (space separated): options appended to the deployed ones, to try a change.
    String extra = System.getenv().getOrDefault("EXTRA_JVM", "").strip();
    if (!extra.isEmpty()) {
      jvm.addAll(List.of(extra.split("\\s+")));
    }
    if (System.getenv("NMT") != null) {
      jvm.add("-XX:NativeMemoryTracking=summary");
    }
    System.out.println(
        "peers: nginx "
            + DataPlaneBenchmark.version("nginx", "-v")
            + ", curl "
            + DataPlaneBenchmark.version("curl", "--version")
            + " ("
            + (REUSE == 1
                ? "one connection per request"
                : REUSE + " requests per connection; latency of those on an open connection")
            + ")"
            + "; server proxy as deployed: "
            + String.join(" ", jvm)
            + " "
            + DataPlaneBenchmark.proxyEnv());
    try (TestBed bed =
        new TestBed()
            .pod("attacker", ATTACKER, false, "", "")
            .pod("user", USER, false, "", "")
            .pod("server", SERVER, !HAPROXY, "", "{name: http, containerPort: 8080}")
            .proxyJvm(jvm)
            .proxyClasspath(DataPlaneBenchmark.proxyClasspath())
            .proxyEnv(DataPlaneBenchmark.proxyEnv())
            // As SlowlorisTest: a deadline longer than an attack phase, so every slowloris
            // connection stays in detection until evicted (none is handed on to nginx, whose
            // 1,024 worker connections it would fill instead of the proxy's cap).
            .policyServerArgs("--portolan.detect-timeout=120s")
            .start()) {
      Nginx.start(bed, "server", "hello", 1_000);
      long proxyPid = HAPROXY ? haproxy(bed) : javaPid(bed.pod("server").proxy());
      List<String> warmFailed = curl(bed, WARMUP).failed();
      if (!warmFailed.isEmpty()) {
        throw new IllegalStateException("warm-up requests failed: " + warmFailed);
      }
      long rss0 = rssKib(proxyPid);
      System.out.printf("server proxy after %d warm-up requests: VmRSS %d KiB%n", WARMUP, rss0);
      nmt(proxyPid, "after warm-up");

      List<Phase> phases = new ArrayList<>();
      phases.add(quiet(bed, "quiet 1", requests, proxyPid));
      for (int a = 1; a <= attacks; a++) {
        phases.addAll(attack(bed, a, requests, proxyPid));
        if (a == 1) {
          nmt(proxyPid, "while the first attack is held");
        }
        phases.add(quiet(bed, "quiet " + (a + 1), requests, proxyPid));
      }
      report(phases, rss0, evicted(bed), proxyPid);
      nmt(proxyPid, "at the end");
    }
    System.out.printf("load average after: %s%n", loadAverage());
  }

  private static Phase quiet(TestBed bed, String name, int requests, long proxyPid)
      throws Exception {
    long evicted0 = evicted(bed);
    ProcFigures.RssSampler sampled = new ProcFigures.RssSampler(proxyPid);
    long t0 = System.nanoTime();
    Requests r = curl(bed, requests);
    double seconds = (System.nanoTime() - t0) / 1e9;
    sampled.stop();
    Phase p =
        new Phase(
            name,
            Kind.QUIET,
            r.latency(),
            rssKib(proxyPid),
            sampled.max(),
            evicted(bed) - evicted0,
            0,
            seconds,
            r.failed(),
            r.slowest());
    print(p);
    return p;
  }

  /**
   * One attack, as two phases. The storm: the attacker starts, and the user's requests go on in
   * batches until the proxy has seen every connection the attacker holds (each evicted or still in
   * detection: the attacker's kernel completes connections before the proxy accepts them, so
   * "holding" alone comes while the proxy is still working through the backlog). Then the held
   * state: {@code requests} requests beside the attack, and the attacker ends (its sockets close
   * with its process).
   */
  private static List<Phase> attack(TestBed bed, int a, int requests, long proxyPid)
      throws Exception {
    long evicted0 = evicted(bed);
    long errors0 = count(SlowlorisProbes.metrics(bed), ERROR);
    // Phase ends alone could miss a peak between them (the attack's 10,000 accepts).
    ProcFigures.RssSampler storm = new ProcFigures.RssSampler(proxyPid);
    long t0 = System.nanoTime();
    JavaProcess attacker =
        bed.javaIn("attacker", Slowloris.class, SERVER, PORT, Integer.toString(CONNECTIONS), "600");
    try {
      Histogram stormLatency = Figures.histogram();
      List<String> stormFailed = new ArrayList<>();
      String stormSlowest = "";
      long held = -1;
      double holdingAt = 0;
      String seenLine = "";
      while (true) {
        Requests batch = curl(bed, STORM_BATCH);
        stormLatency.add(batch.latency());
        stormFailed.addAll(batch.failed());
        stormSlowest = Requests.slower(stormSlowest, batch.slowest());
        if (held < 0) {
          Matcher m = HELD.matcher(attacker.output());
          if (m.find()) {
            held = Long.parseLong(m.group(1));
            holdingAt = (System.nanoTime() - t0) / 1e9;
          } else if (!attacker.isAlive()) {
            throw new IllegalStateException("attacker: " + attacker.output());
          }
        }
        if (held >= 0 && HAPROXY) {
          long current = haproxyConnections(bed);
          seenLine = String.format("HAProxy holding %d of %d held", current, held);
          if (current >= held) {
            break;
          }
        } else if (held >= 0) {
          String metrics = bed.pod("server").metrics();
          // Seen: evicted, closed in detection by the attacker's side (result="error": a
          // connection its kernel gave up on), or still in detection.
          long evicted = evicted(metrics) - evicted0;
          long errors = count(metrics, ERROR) - errors0;
          long detecting = gauge(metrics, "tcp_detecting");
          seenLine =
              String.format(
                  "evicted %d + closed in detection %d + in detection %d of %d held",
                  evicted, errors, detecting, held);
          if (evicted + errors + detecting >= held) {
            break;
          }
        }
        if (System.nanoTime() - t0 > STORM_LIMIT_NANOS) {
          System.out.printf(
              "attack %d: the proxy had not seen every held connection after %d s (%s): the"
                  + " storm ends here%n",
              a, STORM_LIMIT_NANOS / 1_000_000_000, seenLine);
          break;
        }
      }
      double stormSeconds = (System.nanoTime() - t0) / 1e9;
      storm.stop();
      System.out.printf(
          "attack %d: attacker holding %d after %.1f s; storm over after %.1f s: %s%n",
          a, held, holdingAt, stormSeconds, seenLine);
      Phase s =
          new Phase(
              "storm " + a,
              Kind.STORM,
              stormLatency,
              rssKib(proxyPid),
              storm.max(),
              evicted(bed) - evicted0,
              held,
              stormSeconds,
              stormFailed,
              stormSlowest);
      print(s);
      long evicted1 = evicted(bed);
      ProcFigures.RssSampler sampled = new ProcFigures.RssSampler(proxyPid);
      long t1 = System.nanoTime();
      Requests r = curl(bed, requests);
      double seconds = (System.nanoTime() - t1) / 1e9;
      long rss = rssKib(proxyPid);
      sampled.stop();
      Phase p =
          new Phase(
              "held " + a,
              Kind.HELD,
              r.latency(),
              rss,
              sampled.max(),
              evicted(bed) - evicted1,
              held,
              seconds,
              r.failed(),
              r.slowest());
      print(p);
      return List.of(s, p);
    } finally {
      attacker.close();
    }
  }

  /**
   * Pooled figures, and each attack phase's p99 against the mean of the quiet phases on either side
   * of its attack: the proxy keeps getting faster as its JIT goes on, so a pooled ratio alone would
   * flatter or blame whichever phases came first.
   */
  private static void report(List<Phase> phases, long rss0, long evicted, long proxyPid)
      throws Exception {
    // By Kind's ordinal.
    List<Histogram> pooled = new ArrayList<>();
    List<List<Double>> paired = new ArrayList<>();
    for (Kind k : Kind.values()) {
      pooled.add(Figures.histogram());
      paired.add(new ArrayList<>());
    }
    long maxRss = rss0;
    long maxQuiet = rss0;
    for (int i = 0; i < phases.size(); i++) {
      Phase p = phases.get(i);
      pooled.get(p.kind().ordinal()).add(p.latency());
      maxRss = Math.max(maxRss, Math.max(p.rssKib(), p.rssMaxKib()));
      if (p.kind() == Kind.QUIET) {
        maxQuiet = Math.max(maxQuiet, Math.max(p.rssKib(), p.rssMaxKib()));
        continue;
      }
      double around = (ms(quietBefore(phases, i), 99) + ms(quietAfter(phases, i), 99)) / 2;
      double r = ms(p.latency(), 99) / around;
      paired.get(p.kind().ordinal()).add(r);
      System.out.printf(
          "%s (%d requests, %.1f s): p99 / mean p99 of the quiet phases around it: %.3f%n",
          p.name(), p.latency().getTotalCount(), p.seconds(), r);
    }
    Histogram quiet = pooled.get(Kind.QUIET.ordinal());
    long growth = maxRss - rss0;
    int[] failed = new int[Kind.values().length];
    for (Phase p : phases) {
      failed[p.kind().ordinal()] += p.failed().size();
    }
    System.out.println(
        "| phases | requests | failed | p50 | p99 | max | p99 / quiet, pooled | each attack |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (Kind k : Kind.values()) {
      Histogram h = pooled.get(k.ordinal());
      System.out.printf(
          "| %s | %d | %d | %.2f ms | %.2f ms | %.2f ms | %s | %s |%n",
          k.name().toLowerCase(java.util.Locale.ROOT),
          h.getTotalCount(),
          failed[k.ordinal()],
          ms(h, 50),
          ms(h, 99),
          h.getMaxValue() / 1e6,
          k == Kind.QUIET ? "—" : String.format("%.3f", ms(h, 99) / ms(quiet, 99)),
          k == Kind.QUIET ? "—" : ratios(paired.get(k.ordinal())));
    }
    for (Kind k : List.of(Kind.STORM, Kind.HELD)) {
      double worst =
          paired.get(k.ordinal()).stream().mapToDouble(Double::doubleValue).max().orElse(0);
      System.out.printf(
          "%s: p99 / quiet, worst attack %.3f (target ≤ 1.10: %s); pooled %.3f, p50 ratio %.3f%n",
          k == Kind.STORM ? "storm (the proxy accepting and evicting)" : "held (all seen)",
          worst,
          worst <= 1.10 ? "MET" : "MISSED",
          ms(pooled.get(k.ordinal()), 99) / ms(quiet, 99),
          ms(pooled.get(k.ordinal()), 50) / ms(quiet, 50));
    }
    System.out.printf(
        (HAPROXY ? "HAProxy" : "server proxy")
            + " VmRSS: %d KiB after warm-up, max %d KiB (every 200 ms and at each phase's"
            + " end), growth %d KiB (target ≤ 32 MiB: %s); max in quiet phases %d KiB, attacks above"
            + " it %d KiB; VmHWM %s (warm-up included); evicted %d in all%n",
        rss0,
        maxRss,
        growth,
        growth <= 32 * 1024 ? "MET" : "MISSED",
        maxQuiet,
        maxRss - maxQuiet,
        ProcFigures.status(proxyPid, "VmHWM"),
        evicted);
  }

  /**
   * HAProxy in the server pod in the proxy's place, on {@value #HAPROXY_PORT}: slow requests held
   * for 120 s (as the proxy's detection deadline in this bench), room for the whole attack; its
   * pid.
   */
  private static long haproxy(TestBed bed) throws Exception {
    return Peers.startHaproxy(
        bed,
        "server",
        "  maxconn 9990\n",
        """
        frontend web
          mode http
          bind 0.0.0.0:%d
          maxconn 9990
          timeout client 120s
          timeout http-request 120s
          default_backend nginx
        backend nginx
          mode http
          server n 127.0.0.1:8080
        frontend stats
          mode http
          bind 127.0.0.1:8404
          stats enable
          stats uri /stats
        """
            .formatted(HAPROXY_PORT),
        "user",
        List.of("curl", "-s", "--max-time", "1", "http://" + SERVER + ":" + PORT + "/"),
        r -> r.exit() == 0);
  }

  /** HAProxy's current connections on its web frontend (its stats, CSV: scur is the fifth). */
  private static long haproxyConnections(TestBed bed) {
    String csv = bed.pod("server").run("curl", "-s", "http://127.0.0.1:8404/stats;csv");
    for (String line : csv.split("\n")) {
      if (line.startsWith("web,FRONTEND,")) {
        return Long.parseLong(line.split(",")[4]);
      }
    }
    throw new IllegalStateException("no web frontend in HAProxy's stats: " + csv);
  }

  private static Histogram quietBefore(List<Phase> phases, int i) {
    for (int j = i - 1; j >= 0; j--) {
      if (phases.get(j).kind() == Kind.QUIET) {
        return phases.get(j).latency();
      }
    }
    throw new IllegalStateException("no quiet phase before " + phases.get(i).name());
  }

  private static Histogram quietAfter(List<Phase> phases, int i) {
    for (int j = i + 1; j < phases.size(); j++) {
      if (phases.get(j).kind() == Kind.QUIET) {
        return phases.get(j).latency();
      }
    }
    throw new IllegalStateException("no quiet phase after " + phases.get(i).name());
  }

  private static String ratios(List<Double> r) {
    StringBuilder b = new StringBuilder();
    for (double x : r) {
      b.append(b.isEmpty() ? "" : ", ").append(String.format("%.3f", x));
    }
    return b.toString();
  }

  private static void print(Phase p) {
    System.out.printf(
        "%-8s: %d requests (%d failed) in %.1f s, p50 %.2f ms, p99 %.2f ms, max %.2f ms;"
            + " attacker holding %d; evicted %d; proxy VmRSS %d KiB at the end, max %d KiB%n",
        p.name(),
        p.latency().getTotalCount(),
        p.failed().size(),
        p.seconds(),
        ms(p.latency(), 50),
        ms(p.latency(), 99),
        p.latency().getMaxValue() / 1e6,
        p.held(),
        p.evicted(),
        p.rssKib(),
        p.rssMaxKib());
    // A connect of a second or more is a SYN the listener's full accept queue dropped, sent again.
    System.out.println("  slowest (code exit connect total): " + p.slowest());
    if (!p.failed().isEmpty()) {
      System.out.println(
          "  failed (code exit connect total): "
              + String.join("; ", p.failed().subList(0, Math.min(10, p.failed().size()))));
    }
  }

  /** A percentile in milliseconds. */
  private static double ms(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1e6;
  }
}
