package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.DeployedProxy;
import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Bounded destination state (docs/proxy.md, "Eviction and caps"): an app that scans 20,000 ports of
 * a pod through its proxy leaves the proxy small and serving. Every port is a destination of its
 * own: a profile stream and metric series each, evicted once idle.
 *
 * <p>The proxy runs as the image launches it ({@link DeployedProxy}): the bound is for a deployed
 * proxy. {@code -Dportolan.scan.diagnose=true} adds Native Memory Tracking and prints {@code jcmd}
 * summaries (native memory, heap, class histogram) before and after the scan; {@code
 * -Dportolan.scan.jvm="..."} adds JVM options to try ({@code -Xlog:gc} to see the full
 * collections).
 */
class PortScanTest {
  static final String CLIENT = "10.244.77.40";
  static final String SERVER = "10.244.77.41";
  static final int PORTS = 20_000;
  static final long RSS_BOUND_KIB = 96 * 1024;

  @Test
  void a_scan_of_20000_ports_leaves_the_proxy_serving_under_96_mib() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-cli");
    try (TestBed bed =
        new TestBed()
            .pod("client", CLIENT, true, "", "")
            .pod("server", SERVER, false, "", "")
            // As the image launches it (data-plane/Dockerfile): the bound is for a deployed
            // proxy. The eviction and cap settings are the defaults.
            .proxyJvm(jvm())
            .proxyClasspath(DeployedProxy.classpath())
            .start()) {
      Redis.server(bed, "server", 6379);
      assertThat(bed.pod("client").run("redis-cli", "-h", SERVER, "-p", "6379", "PING"))
          .contains("PONG");
      long before = rssKib(bed.pod("client").proxy());
      diagnose(bed.pod("client").proxy(), "before the scan");

      JavaProcess scan =
          bed.javaIn("client", PortScanner.class, SERVER, "20000", Integer.toString(PORTS), "32");
      await()
          .atMost(Duration.ofMinutes(16))
          .pollInterval(Duration.ofSeconds(1))
          .until(() -> scan.output().contains("scan done") || !scan.isAlive());
      System.out.println(scan.output());
      assertThat(scan.output()).contains("scan done");
      JavaProcess proxy = bed.pod("client").proxy();
      assertThat(proxy.isAlive())
          .as(() -> {
            String out = proxy.output();
            return "proxy alive after the scan; its last output:\n"
                + out.substring(Math.max(0, out.length() - 3_000));
          })
          .isTrue();
      String metrics = bed.pod("client").metrics();
      System.out.printf(
          "right after the scan: %d destinations watched, %d refused over the cap, VmRSS %d KiB%n",
          gauge(metrics, "discovery_destinations"),
          gauge(metrics, "discovery_destinations_refused_total"),
          rssKib(bed.pod("client").proxy()));

      // Idle destinations go: the watched count and the per-destination series fall back.
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(2))
          .until(() -> {
            long watched = gauge(bed.pod("client").metrics(), "discovery_destinations");
            return watched >= 0 && watched <= 1;
          });
      String after = bed.pod("client").metrics();
      assertThat(after.lines().filter(l -> l.contains("target_addr=\"" + SERVER + ":2")).count())
          .as("series of scanned ports left")
          .isZero();

      // The heap the burst grew is given back a sweep after the evictions (docs/proxy.md,
      // "Memory"): one full collection, counted.
      JavaProcess client = bed.pod("client").proxy();
      await("the proxy's heap given back after the evictions")
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofSeconds(2))
          .until(() -> gauge(bed.pod("client").metrics(), "discovery_heap_give_back_total") >= 1);
      diagnose(client, "after the scan");
      long rss = rssKib(client);
      System.out.printf(
          "proxy VmRSS before the scan %d KiB, after %d ports %d KiB%n", before, PORTS, rss);
      // With -Dportolan.scan.jvm=-Xlog:gc: the proxy's full collections and their pauses.
      client.output().lines().filter(l -> l.contains("Pause Full")).forEach(System.out::println);
      assertThat(bed.pod("client").run("redis-cli", "-h", SERVER, "-p", "6379", "PING"))
          .as("the proxy still serves")
          .contains("PONG");
      // Issue 23's acceptance line: RSS under 96 MiB after the scan, the proxy serving.
      assertThat(rss)
          .as("proxy VmRSS (KiB) after the scan, %d KiB before it", before)
          .isLessThan(RSS_BOUND_KIB);
      assertThat(client.output()).doesNotContain("OutOfMemoryError");
    }
  }

  static List<String> jvm() {
    List<String> jvm = new java.util.ArrayList<>(DeployedProxy.jvmOptions());
    String extra = System.getProperty("portolan.scan.jvm", "");
    if (!extra.isBlank()) {
      jvm.addAll(List.of(extra.trim().split("\\s+")));
    }
    if (Boolean.getBoolean("portolan.scan.diagnose")) {
      jvm.add("-XX:NativeMemoryTracking=summary");
    }
    System.out.println("proxy JVM options: " + String.join(" ", jvm));
    return jvm;
  }

  static void diagnose(JavaProcess proxy, String when) throws Exception {
    if (!Boolean.getBoolean("portolan.scan.diagnose")) {
      return;
    }
    long pid = javaPid(proxy);
    String jcmd = ProcessHandle.current().info().command().orElseThrow().replace("/java", "/jcmd");
    // "-all": the histogram of every object, unreachable ones too, without the full collection
    // that a plain histogram runs first (it would shrink the heap being measured).
    for (String c :
        List.of("VM.native_memory summary", "GC.heap_info", "GC.class_histogram -all")) {
      List<String> cmd = new java.util.ArrayList<>(List.of(jcmd, Long.toString(pid)));
      cmd.addAll(List.of(c.split(" ")));
      String out = Sh.tryRun(cmd).output();
      if (c.startsWith("GC.class")) {
        out = out.lines().limit(30).collect(java.util.stream.Collectors.joining("\n"));
      }
      System.out.println("== " + when + ": jcmd " + c + "\n" + out);
    }
  }

  static long javaPid(JavaProcess p) {
    long pid = p.pid();
    for (ProcessHandle h :
        java.util.stream.Stream.concat(
                java.util.stream.Stream.of(ProcessHandle.of(pid).orElseThrow()),
                ProcessHandle.of(pid).orElseThrow().descendants())
            .toList()) {
      if (h.info().command().orElse("").endsWith("java")) {
        return h.pid();
      }
    }
    return pid;
  }

  /** VmRSS of the proxy's JVM (the started process, or the java among its descendants). */
  static long rssKib(JavaProcess p) throws IOException {
    return statusKib(p, "VmRSS");
  }

  /** The process's peak resident set so far. */
  static long hwmKib(JavaProcess p) throws IOException {
    return statusKib(p, "VmHWM");
  }

  private static long statusKib(JavaProcess p, String field) throws IOException {
    long pid = javaPid(p);
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IllegalStateException("no " + field + " for " + pid);
  }

  static long gauge(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)$").matcher(metrics);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  static long sum(String metrics, String regex) {
    Matcher m = Pattern.compile(regex).matcher(metrics);
    long n = 0;
    while (m.find()) {
      n += Long.parseLong(m.group(1));
    }
    return n;
  }
}
