package dev.portolan.bench;

import dev.portolan.proxy.testbed.TestBed;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The benchmark's HTTP runs: h2load from a pod, one table row each. */
final class H2load {
  private H2load() {}

  private static final Pattern H2LOAD_RPS = Pattern.compile("finished in [^,]+, ([0-9.]+) req/s");
  private static final Pattern H2LOAD_TIME =
      Pattern.compile("time for request:\\s+([0-9.]+\\w+)\\s+([0-9.]+\\w+)\\s+([0-9.]+\\w+)");

  /** HTTP/1.1: 20 connections. */
  static String http1(TestBed bed, String label, String from, String target, int n, long proxyPid)
      throws Exception {
    return run(
        bed,
        "HTTP/1.1 GET (h2load, 20 conns)",
        label,
        from,
        target,
        n,
        proxyPid,
        "--h1",
        "-c",
        "20");
  }

  /** HTTP/2 prior knowledge: 20 connections, 10 concurrent streams each. */
  static String http2(TestBed bed, String label, String from, String target, int n, long proxyPid)
      throws Exception {
    return run(
        bed,
        "HTTP/2 GET (h2load, 20 conns × 10 streams)",
        label,
        from,
        target,
        n,
        proxyPid,
        "-c",
        "20",
        "-m",
        "10");
  }

  /**
   * Unmeasured h2load runs before each measured one ({@code WARMUP=n}, default 4). The proxy runs
   * C2 alone with one compiler thread (its recommended JVM options), so its HTTP paths take a few
   * runs of this size to be compiled: on loopback the HTTP/2 path cost 111, 40, then 18–19 µs of
   * CPU per request in its first, second and later runs of 50,000 requests. One warm-up measured
   * mostly the JIT. Every path gets the same warm-up.
   */
  static final int WARMUP_RUNS = Integer.parseInt(System.getenv().getOrDefault("WARMUP", "4"));

  /**
   * {@link #WARMUP_RUNS} unmeasured h2load runs (every path warmed alike), then the measured one: a
   * table row with throughput and mean time per request.
   */
  private static String run(
      TestBed bed,
      String load,
      String label,
      String from,
      String target,
      int n,
      long proxyPid,
      String... opts)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of("h2load", "-n", Integer.toString(n)));
    cmd.addAll(List.of(opts));
    cmd.add("http://" + target + "/");
    for (int i = 0; i < WARMUP_RUNS; i++) {
      bed.pod(from).run(cmd.toArray(String[]::new));
    }
    long cpu0 = proxyPid == 0 ? 0 : ProcFigures.cpuTicks(proxyPid);
    String out = bed.pod(from).run(cmd.toArray(String[]::new));
    String cpu =
        proxyPid == 0
            ? "—"
            : String.format("%.1f µs/req", (ProcFigures.cpuTicks(proxyPid) - cpu0) * 10_000.0 / n);
    Matcher rps = H2LOAD_RPS.matcher(out);
    Matcher time = H2LOAD_TIME.matcher(out);
    if (!rps.find() || !time.find() || !out.contains(n + " succeeded")) {
      throw new IllegalStateException("h2load " + label + " failed:\n" + out);
    }
    return "| "
        + load
        + " | "
        + label
        + " | "
        + rps.group(1)
        + " req/s | mean "
        + time.group(3)
        + " | "
        + cpu
        + " |";
  }
}
