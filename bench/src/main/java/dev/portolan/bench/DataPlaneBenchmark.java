package dev.portolan.bench;

import dev.portolan.proxy.peers.Redis;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The proxy against real peers in the network-namespace test bed, side by side in one run:
 * redis-benchmark direct, through one Portolan hop (client proxy), through HAProxy (mode tcp), and
 * through the client+server Portolan pair; h2load HTTP/1.1 direct, through Portolan detection, and
 * through HAProxy (mode http). Needs root, redis, haproxy, nginx, h2load.
 */
public final class DataPlaneBenchmark {
  static final String CLIENT = "10.244.77.90";
  static final String BARE = "10.244.77.91";
  static final String PLAIN = "10.244.77.92";
  static final String MESHED = "10.244.77.93";
  static final String HAPROXY = "10.244.77.94";
  static final String WEB = "10.244.77.95";
  static final String SEAT = "10.244.77.96";

  /**
   * The recommended proxy JVM options (docs/proxy.md explains each, docs/benchmarks.md the runs).
   */
  static final List<String> PROXY_JVM =
      List.of(
          "--sun-misc-unsafe-memory-access=allow",
          "-XX:+UseSerialGC",
          "-Xms8m",
          "-Xmx32m",
          "-Xmn2m",
          "-XX:MinHeapFreeRatio=10",
          "-XX:MaxHeapFreeRatio=20",
          "-XX:-ShrinkHeapInSteps",
          "-XX:MaxDirectMemorySize=32m",
          "-Xss512k",
          "-XX:-TieredCompilation",
          "-XX:CICompilerCount=1",
          "-XX:ReservedCodeCacheSize=16m",
          "-XX:MaxMetaspaceSize=64m",
          "-Xshare:off",
          "-XX:+UseCompactObjectHeaders",
          "-XX:TrimNativeHeapInterval=1000",
          "-XX:CompileCommand=quiet",
          "-XX:CompileCommand=dontinline,*::readComplete0",
          "-XX:CompileCommand=dontinline,*::writeComplete0",
          "-XX:CompileCommand=dontinline,*::flush0");

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--proxy-jvm")) {
      // The proxies' options, for bench/http-harness.sh (one list for both benchmarks).
      System.out.println(String.join(" ", proxyJvm()));
      return;
    }
    if (args.length > 0 && args[0].equals("--mtls")) {
      MtlsAbBenchmark.run(args.length > 1 ? Integer.parseInt(args[1]) : 3);
      return;
    }
    if (args.length > 0 && args[0].equals("--slowloris")) {
      SlowlorisBenchmark.run(
          args.length > 1 ? Integer.parseInt(args[1]) : 300,
          args.length > 2 ? Integer.parseInt(args[2]) : 2);
      System.exit(0);
    }
    if (args.length > 0 && args[0].equals("--ab")) {
      RedisAbBenchmark.run(args.length > 1 ? Integer.parseInt(args[1]) : 3);
      return;
    }
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    header();
    try (TestBed bed = bed().start()) {
      Redis.server(bed, "plain", 6379);
      Redis.server(bed, "meshed", 6379);
      Peers.nginx(bed);
      long haproxyPid = Peers.haproxy(bed);
      String only = System.getenv().getOrDefault("ONLY", "");
      long seatPid = only.equals("http") ? 0 : Peers.haproxyInSeat(bed);

      List<String> rows = new ArrayList<>();
      long cpu0 = ProcFigures.cpuTicks(bed.pod("client").proxy().pid());
      long clientPid = bed.pod("client").proxy().pid();
      if (!only.equals("http")) {
        rows.addAll(redisRun(bed, "direct", "bare", PLAIN, requests, 0));
        ProcFigures.RssSampler oneHop = new ProcFigures.RssSampler(clientPid);
        rows.addAll(redisRun(bed, "portolan 1 hop", "client", PLAIN, requests, clientPid));
        oneHop.stop();
        rows.addAll(redisRun(bed, "haproxy tcp", "bare", HAPROXY, requests, haproxyPid));
        // HAProxy behind the same iptables rules and loopback leg as the client proxy.
        rows.addAll(redisRun(bed, "haproxy in the seat", "seat", PLAIN, requests, seatPid));
        rows.addAll(redisRun(bed, "portolan 2 hops", "client", MESHED, requests, clientPid));
        System.out.printf(
            "client proxy during the 1-hop redis run: VmRSS sampled every 200 ms: max %d kB,"
                + " median %d kB%n",
            oneHop.max(), oneHop.median());
        System.out.printf(
            "client proxy after the redis runs: VmHWM (peak RSS) %s, VmRSS %s (anonymous %s,"
                + " file-backed %s)%n",
            ProcFigures.status(clientPid, "VmHWM"),
            ProcFigures.status(clientPid, "VmRSS"),
            ProcFigures.status(clientPid, "RssAnon"),
            ProcFigures.status(clientPid, "RssFile"));
      }
      if (!only.equals("redis")) {
        rows.add(H2load.http1(bed, "direct", "bare", WEB + ":8080", requests / 4, 0));
        rows.add(
            H2load.http1(bed, "portolan detect", "client", WEB + ":8080", requests / 4, clientPid));
        rows.add(
            H2load.http1(bed, "haproxy http", "bare", HAPROXY + ":8080", requests / 4, haproxyPid));
        rows.add(H2load.http2(bed, "direct", "bare", WEB + ":8081", requests / 4, 0));
        rows.add(
            H2load.http2(bed, "portolan detect", "client", WEB + ":8081", requests / 4, clientPid));
        rows.add(
            H2load.http2(bed, "haproxy http", "bare", HAPROXY + ":8081", requests / 4, haproxyPid));
      }
      long cpu1 = ProcFigures.cpuTicks(bed.pod("client").proxy().pid());

      System.out.println("| load | path | throughput | latency | proxy CPU |");
      System.out.println("|---|---|---|---|---|");
      rows.forEach(System.out::println);
      // Connections the client proxy opened, to show pooling at work.
      bed.pod("client")
          .metrics()
          .lines()
          .filter(l -> l.startsWith("http_upstream_open_total") || l.startsWith("tcp_open_total"))
          .forEach(l -> System.out.println("client proxy: " + l));
      long pid = bed.pod("client").proxy().pid();
      System.out.printf(
          "client proxy: VmHWM (peak RSS) %s, VmRSS %s (anonymous %s, file-backed %s), CPU %.1f s"
              + " over all runs%n",
          ProcFigures.status(pid, "VmHWM"),
          ProcFigures.status(pid, "VmRSS"),
          ProcFigures.status(pid, "RssAnon"),
          ProcFigures.status(pid, "RssFile"),
          (cpu1 - cpu0) / 100.0);
      for (String command : jcmds()) {
        List<String> jcmd = new ArrayList<>();
        jcmd.add(ProcessHandle.current().info().command().orElse("java").replace("/java", "/jcmd"));
        jcmd.add(Long.toString(pid));
        jcmd.addAll(List.of(command.trim().split("\\s+")));
        System.out.println("client proxy: jcmd " + command.trim());
        System.out.println(Sh.tryRun(jcmd).output());
      }
      pid = bed.pod("meshed").proxy().pid();
      System.out.printf(
          "server proxy (2 hops): VmHWM %s, VmRSS %s%n",
          ProcFigures.status(pid, "VmHWM"), ProcFigures.status(pid, "VmRSS"));
    }
    System.exit(0);
  }

  /** The machine, the peers' versions and the proxies' options, printed before any figure. */
  static void header() {
    Figures.machine();
    System.out.println(
        "peers: redis-server "
            + version("redis-server", "--version")
            + ", HAProxy "
            + version("haproxy", "-v")
            + ", nginx, h2load; proxies: "
            + proxyJvm()
            + " "
            + proxyEnv());
  }

  /** The benchmark's pods: a meshed client, an unmeshed one, two redis, HAProxy, nginx. */
  static TestBed bed() {
    return new TestBed()
        .proxyJvm(proxyJvm())
        .proxyClasspath(proxyClasspath())
        .proxyEnv(proxyEnv())
        .pod("client", CLIENT, true, "", "")
        .pod("bare", BARE, false, "", "")
        .pod("plain", PLAIN, false, "", "{name: redis, containerPort: 6379}")
        .pod("meshed", MESHED, true, "", "{name: redis, containerPort: 6379}")
        .pod("haproxy", HAPROXY, false, "", "")
        .pod("seat", SEAT, false, "", "")
        .pod(
            "web",
            WEB,
            false,
            "",
            "{name: http, containerPort: 8080}, {name: h2, containerPort: 8081}");
  }

  /**
   * The proxy's own runtime classpath ({@code PROXY_CLASSPATH}, written by bench/dataplane.sh): the
   * data-plane jar and its runtime dependencies, as deployed, without the test bed's (Spring,
   * fabric8, JUnit). Without it, the benchmark's classpath.
   */
  static String proxyClasspath() {
    String cp = System.getenv("PROXY_CLASSPATH");
    return cp == null || cp.isBlank() ? System.getProperty("java.class.path") : cp;
  }

  /**
   * The C library's malloc settings ({@code MALLOC_*}, e.g. {@code MALLOC_ARENA_MAX=2}, and {@code
   * GLIBC_TUNABLES}) and every {@code PORTOLAN_*} variable set for the benchmark (e.g. {@code
   * PORTOLAN_WORKERS=1}) are passed on to the proxies.
   */
  static java.util.Map<String, String> proxyEnv() {
    java.util.Map<String, String> env = new java.util.TreeMap<>();
    System.getenv()
        .forEach((k, v) -> {
          if (k.startsWith("MALLOC_") || k.equals("GLIBC_TUNABLES") || k.startsWith("PORTOLAN_")) {
            env.put(k, v);
          }
        });
    return env;
  }

  /**
   * The proxies' JVM options: {@link #PROXY_JVM}, or {@code PROXY_JVM="…"} (space separated) to try
   * others; {@code NMT=1} adds Native Memory Tracking and prints the client proxy's summary.
   */
  static List<String> proxyJvm() {
    String override = System.getenv("PROXY_JVM");
    List<String> jvm =
        new ArrayList<>(override == null ? PROXY_JVM : List.of(override.trim().split("\\s+")));
    if (System.getenv("NMT") != null) {
      jvm.add("-XX:NativeMemoryTracking=summary");
    }
    // As the image's launcher: kept with any PROXY_JVM, a proxy out of memory exits at once
    // instead of measuring a JVM with some of its threads dead.
    if (!jvm.contains("-XX:+ExitOnOutOfMemoryError")) {
      jvm.add("-XX:+ExitOnOutOfMemoryError");
    }
    return jvm;
  }

  /**
   * Diagnostic commands run on the client proxy after the runs: {@code NMT=1} gives {@code
   * VM.native_memory summary}; {@code JCMD="Compiler.memory; VM.metaspace"} (semicolon separated)
   * any others.
   */
  static List<String> jcmds() {
    List<String> commands = new ArrayList<>();
    if (System.getenv("NMT") != null) {
      commands.add("VM.native_memory summary");
    }
    String more = System.getenv("JCMD");
    if (more != null) {
      for (String c : more.split(";")) {
        if (!c.isBlank()) {
          commands.add(c);
        }
      }
    }
    return commands;
  }

  static final Pattern REDIS_LINE =
      Pattern.compile("([A-Z_]+): ([0-9.]+) requests per second, p50=([0-9.]+) msec");

  static String[] redisBenchmark(String host, int n, String tests) {
    return new String[] {
      "redis-benchmark",
      "-h",
      host,
      "-p",
      "6379",
      "-c",
      "50",
      "-n",
      Integer.toString(n),
      "-t",
      tests,
      "-q"
    };
  }

  /**
   * One path: a warm-up, then the measured run. {@code proxyPid} (0: none) is the proxy whose CPU
   * time over the measured run is reported per request (user + system, all four commands).
   */
  static List<String> redisRun(
      TestBed bed, String label, String from, String host, int n, long proxyPid) throws Exception {
    // Unmeasured warm-up on the same path (a quarter of the requests, PING only).
    bed.pod(from).run(redisBenchmark(host, Math.max(1000, n / 4), "ping"));
    long cpu0 = proxyPid == 0 ? 0 : ProcFigures.cpuTicks(proxyPid);
    String out = bed.pod(from).run(redisBenchmark(host, n, "ping,set,get")).replace('\r', '\n');
    // PING_INLINE, PING_MBULK, SET, GET: 4n requests; ticks are 10 ms.
    String cpu =
        proxyPid == 0
            ? "—"
            : String.format(
                "%.1f µs/req", (ProcFigures.cpuTicks(proxyPid) - cpu0) * 10_000.0 / (4.0 * n));
    List<String> rows = new ArrayList<>();
    Matcher m = REDIS_LINE.matcher(out);
    while (m.find()) {
      if (m.group(1).equals("PING_MBULK")) {
        continue;
      }
      rows.add(
          "| redis "
              + m.group(1)
              + " (50 clients) | "
              + label
              + " | "
              + m.group(2)
              + " req/s | p50 "
              + m.group(3)
              + " ms | "
              + cpu
              + " |");
    }
    if (rows.isEmpty()) {
      throw new IllegalStateException("redis-benchmark " + label + " printed no results:\n" + out);
    }
    return rows;
  }

  static String version(String... cmd) {
    String out = Sh.tryRun(List.of(cmd)).output().lines().findFirst().orElse("?");
    Matcher m = Pattern.compile("v?=?([0-9]+\\.[0-9]+\\.[0-9]+)").matcher(out);
    return m.find() ? m.group(1) : out;
  }

  private DataPlaneBenchmark() {}
}
