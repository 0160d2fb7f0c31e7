package dev.portolan.bench;

import dev.portolan.proxy.peers.Nginx;
import dev.portolan.proxy.peers.Slowloris;
import dev.portolan.proxy.testbed.DeployedProxy;
import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * <p>Run from data-plane/ (bench/dataplane.sh --slowloris does): {@link DeployedProxy} reads the
 * launcher's options from its Dockerfile.
 */
final class SlowlorisBenchmark {
  static final String ATTACKER = "10.244.77.97";
  static final String USER = "10.244.77.98";
  static final String SERVER = "10.244.77.99";
  static final int CONNECTIONS = 10_000;

  /**
   * Unmeasured requests first, so that the proxy's HTTP/1 detection path is compiled (C2 alone, one
   * compiler thread): after 600 the first quiet phase was still twice as slow as the last.
   */
  static final int WARMUP = 1_500;

  private static final Pattern HELD = Pattern.compile("holding (\\d+) of");
  private static final Pattern EVICTED =
      Pattern.compile("(?m)^inbound_tcp_detect_results_total\\{result=\"evicted\"\\} (\\d+)$");

  private SlowlorisBenchmark() {}

  /** One phase's figures. */
  private record Phase(
      String name, Histogram latency, long rssKib, long rssMaxKib, long evicted, long held) {}

  static void run(int requests, int attacks) throws Exception {
    Figures.machine();
    System.out.printf(
        "nproc %s; load average before: %s%n",
        Runtime.getRuntime().availableProcessors(), loadAverage());
    List<String> jvm = DeployedProxy.jvmOptions();
    System.out.println(
        "peers: nginx "
            + DataPlaneBenchmark.version("nginx", "-v")
            + ", curl "
            + DataPlaneBenchmark.version("curl", "--version")
            + "; server proxy as deployed: "
            + String.join(" ", jvm)
            + " "
            + DataPlaneBenchmark.proxyEnv());
    try (TestBed bed =
        new TestBed()
            .pod("attacker", ATTACKER, false, "", "")
            .pod("user", USER, false, "", "")
            .pod("server", SERVER, true, "", "{name: http, containerPort: 8080}")
            .proxyJvm(jvm)
            .proxyClasspath(DataPlaneBenchmark.proxyClasspath())
            .proxyEnv(DataPlaneBenchmark.proxyEnv())
            // As SlowlorisTest: a deadline longer than an attack phase, so every slowloris
            // connection stays in detection until evicted (none is handed on to nginx, whose
            // 1,024 worker connections it would fill instead of the proxy's cap).
            .policyServerArgs("--portolan.detect-timeout=120s")
            .start()) {
      Nginx.start(bed, "server", "hello", 1_000);
      long proxyPid = javaPid(bed.pod("server").proxy());
      curl(bed, WARMUP);
      long rss0 = rssKib(proxyPid);
      System.out.printf("server proxy after %d warm-up requests: VmRSS %d KiB%n", WARMUP, rss0);

      List<Phase> phases = new ArrayList<>();
      phases.add(quiet(bed, "quiet 1", requests, proxyPid));
      for (int a = 1; a <= attacks; a++) {
        phases.add(attack(bed, "attack " + a, requests, proxyPid));
        phases.add(quiet(bed, "quiet " + (a + 1), requests, proxyPid));
      }
      report(phases, rss0, evicted(bed), proxyPid);
    }
    System.out.printf("load average after: %s%n", loadAverage());
  }

  private static Phase quiet(TestBed bed, String name, int requests, long proxyPid)
      throws Exception {
    long evicted0 = evicted(bed);
    ProcFigures.RssSampler sampled = new ProcFigures.RssSampler(proxyPid);
    Histogram h = curl(bed, requests);
    sampled.stop();
    Phase p = new Phase(name, h, rssKib(proxyPid), sampled.max(), evicted(bed) - evicted0, 0);
    print(p);
    return p;
  }

  /**
   * Opens the attack, waits until the attacker holds its connections, measures, then ends it (its
   * sockets close with its process).
   */
  private static Phase attack(TestBed bed, String name, int requests, long proxyPid)
      throws Exception {
    long evicted0 = evicted(bed);
    // Phase ends alone could miss a peak between them (the attack's 10,000 accepts).
    ProcFigures.RssSampler sampled = new ProcFigures.RssSampler(proxyPid);
    JavaProcess attacker =
        bed.javaIn(
            "attacker", Slowloris.class, SERVER, "8080", Integer.toString(CONNECTIONS), "600");
    try {
      String holding = attacker.awaitContaining("slowloris holding");
      Matcher m = HELD.matcher(holding);
      if (!m.find()) {
        throw new IllegalStateException("attacker: " + attacker.output());
      }
      long held = Long.parseLong(m.group(1));
      Histogram h = curl(bed, requests);
      long rss = rssKib(proxyPid);
      sampled.stop();
      Phase p = new Phase(name, h, rss, sampled.max(), evicted(bed) - evicted0, held);
      print(p);
      return p;
    } finally {
      attacker.close();
    }
  }

  /**
   * Pooled figures, and each attack's p99 against the mean of the quiet phases on either side of
   * it: the proxy keeps getting faster as its JIT goes on, so a pooled ratio alone would flatter or
   * blame whichever phases came first.
   */
  private static void report(List<Phase> phases, long rss0, long evicted, long proxyPid)
      throws Exception {
    Histogram quiet = Figures.histogram();
    Histogram attack = Figures.histogram();
    long maxRss = rss0;
    long maxQuiet = rss0;
    for (int i = 0; i < phases.size(); i++) {
      Phase p = phases.get(i);
      (p.held() > 0 ? attack : quiet).add(p.latency());
      maxRss = Math.max(maxRss, Math.max(p.rssKib(), p.rssMaxKib()));
      if (p.held() == 0) {
        maxQuiet = Math.max(maxQuiet, Math.max(p.rssKib(), p.rssMaxKib()));
      }
      if (p.held() > 0) {
        double around = (ms(phases.get(i - 1).latency(), 99) + ms(phases.get(i + 1).latency(), 99));
        System.out.printf(
            "%s: p99 / mean p99 of the quiet phases around it: %.3f%n",
            p.name(), ms(p.latency(), 99) / (around / 2));
      }
    }
    double ratio = ms(attack, 99) / ms(quiet, 99);
    long growth = maxRss - rss0;
    System.out.println("| phases | requests | p50 | p99 | max |");
    System.out.println("|---|---|---|---|---|");
    row("quiet (all)", quiet);
    row("attack (all)", attack);
    System.out.printf(
        "p99 attack / quiet: %.3f (target ≤ 1.10: %s); p50 ratio %.3f%n",
        ratio, ratio <= 1.10 ? "MET" : "MISSED", ms(attack, 50) / ms(quiet, 50));
    System.out.printf(
        "server proxy VmRSS: %d KiB after warm-up, max %d KiB (every 200 ms and at each phase's"
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

  private static void print(Phase p) {
    System.out.printf(
        "%-8s: %d requests, p50 %.2f ms, p99 %.2f ms, max %.2f ms; attacker holding %d;"
            + " evicted %d; proxy VmRSS %d KiB at the end, max %d KiB%n",
        p.name(),
        p.latency().getTotalCount(),
        ms(p.latency(), 50),
        ms(p.latency(), 99),
        p.latency().getMaxValue() / 1e6,
        p.held(),
        p.evicted(),
        p.rssKib(),
        p.rssMaxKib());
  }

  private static void row(String name, Histogram h) {
    System.out.printf(
        "| %s | %d | %.2f ms | %.2f ms | %.2f ms |%n",
        name, h.getTotalCount(), ms(h, 50), ms(h, 99), h.getMaxValue() / 1e6);
  }

  /** A percentile in milliseconds. */
  private static double ms(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1e6;
  }

  /**
   * {@code n} requests from the user's pod to nginx through the server's inbound proxy, one curl
   * and one connection each; curl's own {@code time_total} (connect to last byte) is the latency,
   * so its start-up is not counted. Any answer but 200 fails the run.
   */
  private static Histogram curl(TestBed bed, int n) {
    String out =
        bed.pod("user")
            .run(
                "bash",
                "-c",
                "for i in $(seq "
                    + n
                    + "); do curl -s -m 10 -o /dev/null -w '%{http_code} %{time_total}\\n' http://"
                    + SERVER
                    + ":8080/; done");
    Histogram h = Figures.histogram();
    for (String line : out.strip().split("\n")) {
      String[] f = line.strip().split(" ");
      if (f.length != 2 || !f[0].equals("200")) {
        throw new IllegalStateException("user request failed: '" + line + "' in:\n" + out);
      }
      h.recordValue(Math.round(Double.parseDouble(f[1]) * 1e9));
    }
    if (h.getTotalCount() != n) {
      throw new IllegalStateException(h.getTotalCount() + " of " + n + " answers:\n" + out);
    }
    return h;
  }

  private static long evicted(TestBed bed) {
    Matcher m = EVICTED.matcher(bed.pod("server").metrics());
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /** The proxy's JVM: the pod's process may be a wrapper (ip netns exec, setpriv) above it. */
  private static long javaPid(JavaProcess p) {
    ProcessHandle top = ProcessHandle.of(p.pid()).orElseThrow();
    return java.util.stream.Stream.concat(java.util.stream.Stream.of(top), top.descendants())
        .filter(h -> h.info().command().orElse("").endsWith("java"))
        .map(ProcessHandle::pid)
        .findFirst()
        .orElse(p.pid());
  }

  private static long rssKib(long pid) throws Exception {
    return Long.parseLong(ProcFigures.status(pid, "VmRSS").replaceAll("\\D", ""));
  }

  private static String loadAverage() throws Exception {
    return Files.readString(Path.of("/proc/loadavg")).strip();
  }
}
