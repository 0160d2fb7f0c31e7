package dev.portolan.bench;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * What {@link SlowlorisBenchmark} reads from its bed: the user's requests with curl, the server
 * proxy's metrics, RSS and Native Memory Tracking, the machine's load.
 */
final class SlowlorisProbes {
  private static final Pattern EVICTED =
      Pattern.compile("(?m)^inbound_tcp_detect_results_total\\{result=\"evicted\"\\} (\\d+)$");

  private SlowlorisProbes() {}

  /**
   * {@code NMT=1}: the proxy's Native Memory Tracking summary at the points where its RSS is judged
   * (the proxy then runs with {@code -XX:NativeMemoryTracking=summary}).
   */
  static void nmt(long pid, String when) {
    if (System.getenv("NMT") == null) {
      return;
    }
    String jcmd = ProcessHandle.current().info().command().orElse("java").replace("/java", "/jcmd");
    System.out.println(
        "NMT "
            + when
            + ":\n"
            + Sh.tryRun(List.of(jcmd, Long.toString(pid), "VM.native_memory", "summary")).output());
  }

  /**
   * What {@code n} requests gave: the latency of each (a failed one counted at the time curl gave
   * up, a lower bound), and curl's lines for the failed ones ({@code code exit connect total}).
   */
  record Requests(Histogram latency, List<String> failed, String slowest) {
    /** curl's line ({@code code exit connect total}) of the slower of two requests. */
    static String slower(String a, String b) {
      return a.isEmpty() || !b.isEmpty() && total(b) > total(a) ? b : a;
    }

    private static double total(String line) {
      return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }
  }

  /**
   * {@code REUSE=k}: each curl sends {@code k} requests on one connection, as a client with a
   * connection pool; the latency is then that of the requests on a connection already open (the
   * pooled client's case), and the connecting ones are only in the failed and slowest lines.
   * Default 1: one connection per request, each through the listener's accept queue.
   */
  static final int REUSE = Integer.parseInt(System.getenv().getOrDefault("REUSE", "1").strip());

  /**
   * {@code n} requests from the user's pod to nginx through the server's inbound proxy, {@link
   * #REUSE} per curl and connection; curl's own {@code time_total} (connect to last byte) is the
   * latency, so its start-up is not counted. A request that does not get a 200 is counted and kept
   * (curl's exit code says how it failed: 52 empty reply, 56 reset, 7 no connection, 28 timeout).
   */
  static Requests curl(TestBed bed, int n) {
    String url =
        " -o /dev/null http://" + SlowlorisBenchmark.SERVER + ":" + SlowlorisBenchmark.PORT + "/";
    int perCurl = Math.min(REUSE, n);
    String out =
        bed.pod("user")
            .run(
                "bash",
                "-c",
                "for i in $(seq "
                    + Math.ceilDiv(n, perCurl)
                    + "); do curl -s -m 10 -w '%{http_code} %{exitcode}"
                    + " %{time_connect} %{time_total} %{num_connects}\\n'"
                    + url.repeat(perCurl)
                    + "; done");
    Histogram h = Figures.histogram();
    List<String> failed = new ArrayList<>();
    String slowest = "";
    int answers = 0;
    for (String line : out.strip().split("\n")) {
      String[] f = line.strip().split(" ");
      if (f.length != 5) {
        throw new IllegalStateException("unexpected curl output: '" + line + "' in:\n" + out);
      }
      // curl's line without num_connects: code exit connect total, as Requests keeps it.
      String kept = String.join(" ", f[0], f[1], f[2], f[3]);
      answers++;
      if (!f[0].equals("200")) {
        failed.add(kept);
      }
      if (perCurl == 1 || f[4].equals("0")) {
        h.recordValue(Math.max(1, Math.round(Double.parseDouble(f[3]) * 1e9)));
      }
      slowest = Requests.slower(slowest, kept);
    }
    if (answers != Math.ceilDiv(n, perCurl) * perCurl) {
      throw new IllegalStateException(answers + " of " + n + " answers:\n" + out);
    }
    return new Requests(h, failed, slowest);
  }

  static long evicted(TestBed bed) {
    return evicted(metrics(bed));
  }

  /** The server proxy's metrics; none with HAProxy in its place. */
  static String metrics(TestBed bed) {
    return SlowlorisBenchmark.HAPROXY ? "" : bed.pod("server").metrics();
  }

  static long evicted(String metrics) {
    Matcher m = EVICTED.matcher(metrics);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /** A series' value ({@code series} a regular expression), 0 if absent. */
  static long count(String metrics, String series) {
    Matcher m = Pattern.compile("(?m)^" + series + " (\\d+)$").matcher(metrics);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /** An unlabelled gauge, 0 if absent. */
  static long gauge(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)$").matcher(metrics);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /** The proxy's JVM: the pod's process may be a wrapper (ip netns exec, setpriv) above it. */
  static long javaPid(JavaProcess p) {
    ProcessHandle top = ProcessHandle.of(p.pid()).orElseThrow();
    return java.util.stream.Stream.concat(java.util.stream.Stream.of(top), top.descendants())
        .filter(h -> h.info().command().orElse("").endsWith("java"))
        .map(ProcessHandle::pid)
        .findFirst()
        .orElse(p.pid());
  }

  static long rssKib(long pid) throws Exception {
    return Long.parseLong(ProcFigures.status(pid, "VmRSS").replaceAll("\\D", ""));
  }

  static String loadAverage() throws Exception {
    return Files.readString(Path.of("/proc/loadavg")).strip();
  }
}
