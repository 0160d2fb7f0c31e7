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
   * One unmeasured h2load run (every path, and the proxy's JIT, warmed alike), then the measured
   * one: a table row with throughput and mean time per request.
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
    bed.pod(from).run(cmd.toArray(String[]::new));
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
