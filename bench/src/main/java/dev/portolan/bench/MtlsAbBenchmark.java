package dev.portolan.bench;

import dev.portolan.proxy.peers.Redis;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Portolan mTLS pair against an HAProxy TLS 1.3 pair on redis, alternating in one test bed
 * ({@code bench/dataplane.sh --mtls [rounds]}; docs/benchmarks.md). Three paths, each from a client
 * pod to a redis-server in another pod:
 *
 * <ul>
 *   <li>direct: redis-benchmark to redis, no proxy (the baseline);
 *   <li>portolan mTLS: a meshed client to a meshed redis pod, client proxy → the redis pod's 4143
 *       (mesh TLS 1.3, transport header) → its inbound proxy → 127.0.0.1:6379;
 *   <li>haproxy TLS 1.3: redis-benchmark to an HAProxy on the client pod's loopback, which opens
 *       TLS 1.3 (certificates both ways, the client verifying the server's name, no session reuse
 *       since the mesh has none either) to an HAProxy in the redis pod, which forwards to
 *       127.0.0.1:6379.
 * </ul>
 *
 * <p>Per round and path: throughput and latency under load ({@code -c 50 -t set,get}), latency of
 * one client ({@code -c 1 -t get}: what a proxy pair adds to a request), and new connections per
 * second ({@code -c 10 -k 0 -t get}: one TCP connection and, through the proxies, one TLS handshake
 * per request). At the end: medians over the rounds, the proxies' RSS, and the targets.
 */
final class MtlsAbBenchmark {
  static final String CLIENT = "10.244.77.80";
  static final String BARE = "10.244.77.81";
  static final String PLAIN = "10.244.77.82";
  static final String REDIS = "10.244.77.83";
  static final String HA_CLIENT = "10.244.77.84";
  static final String HA_SERVER = "10.244.77.85";
  static final String HA_NAME = "haps.bench.local";

  private static final int LOAD = 100_000;
  private static final int ONE_CLIENT = 10_000;
  private static final int CONNECTIONS = 5_000;
  private static final Pattern CSV =
      Pattern.compile(
          "\"([A-Z_]+)\",\"([0-9.]+)\",\"([0-9.]+)\",\"([0-9.]+)\",\"([0-9.]+)\",\"([0-9.]+)\","
              + "\"([0-9.]+)\",\"([0-9.]+)\"");

  private MtlsAbBenchmark() {}

  static void run(int rounds) throws Exception {
    DataPlaneBenchmark.header();
    // A shared machine: the load beside the figures says how far to trust them.
    System.out.printf(
        "machine load before: %s%n", Files.readString(Path.of("/proc/loadavg")).strip());
    Path pki = Files.createTempDirectory("portolan-bench-tls");
    certificates(pki);
    // The proxies' own connection to the policy-server as the chart makes it: Certify over TLS,
    // discovery over mTLS, a policy-server that requires it (PORTOLAN_IDENTITY=plaintext in the
    // environment runs them in plaintext instead, as the test bed does by default).
    Map<String, String> env = new TreeMap<>(DataPlaneBenchmark.proxyEnv());
    env.putIfAbsent("PORTOLAN_IDENTITY", "tls");
    boolean controlPlaneTls = env.get("PORTOLAN_IDENTITY").equals("tls");
    System.out.printf(
        "control plane: proxies PORTOLAN_IDENTITY=%s, policy-server portolan.grpc.tls=%s%n",
        env.get("PORTOLAN_IDENTITY"), controlPlaneTls ? "required" : "off");
    TestBed setup =
        new TestBed()
            .identity(true)
            .proxyJvm(DataPlaneBenchmark.proxyJvm())
            .proxyClasspath(DataPlaneBenchmark.proxyClasspath())
            .proxyEnv(env)
            .pod("client", CLIENT, true, "", "")
            .pod("bare", BARE, false, "", "")
            .pod("plain", PLAIN, false, "", "{name: redis, containerPort: 6379}")
            .pod("redis", REDIS, true, "", "{name: redis, containerPort: 6379}")
            .pod("hapc", HA_CLIENT, false, "", "")
            .pod("haps", HA_SERVER, false, "", "{name: redis, containerPort: 6379}");
    if (controlPlaneTls) {
      setup.policyServerArgs("--portolan.grpc.tls=required");
    }
    try (TestBed bed = setup.start()) {
      Redis.server(bed, "plain", 6379);
      Redis.server(bed, "redis", 6379);
      Redis.server(bed, "haps", 6379);
      long haServer = haproxyServer(bed, pki);
      long haClient = haproxyClient(bed, pki);
      String pong = bed.pod("hapc").run("redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping");
      if (!pong.contains("PONG")) {
        throw new IllegalStateException("the HAProxy TLS pair does not reach redis: " + pong);
      }
      for (String pod : List.of("client", "bare", "hapc")) {
        // -k 0 opens a connection per request: reuse TIME_WAIT ports as a busy client would.
        bed.pod(pod).run("sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1");
      }
      long clientProxy = bed.pod("client").proxy().pid();
      long serverProxy = bed.pod("redis").proxy().pid();
      for (String pod : List.of("client", "redis")) {
        // Which TLS each proxy runs (BoringSSL through netty-tcnative, or the JDK's).
        bed.pod(pod)
            .metrics()
            .lines()
            .filter(l -> l.startsWith("identity_info"))
            .forEach(l -> System.out.println(pod + " proxy: " + l));
      }
      List<Run> paths =
          List.of(
              new Run("direct", "bare", PLAIN, 6379),
              new Run("portolan mTLS", "client", REDIS, 6379, clientProxy, serverProxy),
              new Run("haproxy TLS 1.3", "hapc", "127.0.0.1", 6379, haClient, haServer));
      for (Run p : paths) {
        p.measure(bed, true); // warm-up: the proxies' JIT, redis's keyspace
      }
      hold(bed, "HOLD", clientProxy, serverProxy, haClient, haServer);
      for (int r = 1; r <= rounds; r++) {
        for (Run p : paths) {
          p.measure(bed, false);
          System.out.printf("round %d: %s%n", r, p.last());
        }
      }
      System.out.printf(
          "machine load after the rounds: %s%n",
          Files.readString(Path.of("/proc/loadavg")).strip());
      System.out.println(
          "| path | throughput -c 50 (req/s) | p50 / p99 -c 50 (ms) | p50 / p99 -c 1 (ms) |"
              + " new connections/s (-k 0) |");
      System.out.println("|---|---|---|---|---|");
      for (Run p : paths) {
        System.out.println(p.row());
      }
      System.out.println(
          "CPU of both proxies together (user+system, /proc/<pid>/stat), medians of the rounds:");
      System.out.println(
          "| path | µs per request -c 50 | µs per request -c 1 | µs per new connection -k 0 |");
      System.out.println("|---|---|---|---|");
      for (Run p : paths.subList(1, 3)) {
        System.out.println(p.cpuRow());
      }
      System.out.printf(
          "RSS: portolan client proxy VmRSS %s (peak %s), server proxy VmRSS %s (peak %s);"
              + " haproxy client %s (peak %s), server %s (peak %s)%n",
          ProcFigures.status(clientProxy, "VmRSS"),
          ProcFigures.status(clientProxy, "VmHWM"),
          ProcFigures.status(serverProxy, "VmRSS"),
          ProcFigures.status(serverProxy, "VmHWM"),
          ProcFigures.status(haClient, "VmRSS"),
          ProcFigures.status(haClient, "VmHWM"),
          ProcFigures.status(haServer, "VmRSS"),
          ProcFigures.status(haServer, "VmHWM"));
      Run direct = paths.get(0);
      Run mesh = paths.get(1);
      Run ha = paths.get(2);
      target("portolan adds to p50 (-c 1)", mesh.median(4) - direct.median(4), 0.3);
      target("portolan adds to p99 (-c 1)", mesh.median(5) - direct.median(5), 1.0);
      target("haproxy adds to p50 (-c 1)", ha.median(4) - direct.median(4), 0.3);
      target("haproxy adds to p99 (-c 1)", ha.median(5) - direct.median(5), 1.0);
      ratio("throughput (-c 50) over haproxy", mesh.median(0) / ha.median(0));
      ratio("new connections/s (-k 0) over haproxy", mesh.median(6) / ha.median(6));
      rss("client", clientProxy);
      rss("server", serverProxy);
      hold(bed, "HOLD_AFTER", clientProxy, serverProxy, haClient, haServer);
      System.out.printf(
          "portolan CPU over haproxy's (lower is better): per request -c 50 %.3f×, -c 1 %.3f×,"
              + " per new connection %.3f×%n",
          mesh.medianCpu(0) / ha.medianCpu(0),
          mesh.medianCpu(1) / ha.medianCpu(1),
          mesh.medianCpu(2) / ha.medianCpu(2));
      bed.pod("client")
          .metrics()
          .lines()
          .filter(l -> l.startsWith("tcp_open_total") || l.contains("tls_refused"))
          .forEach(l -> System.out.println("client proxy: " + l));
    }
    System.exit(0);
  }

  private static void target(String what, double added, double limit) {
    System.out.printf(
        "%s: %.3f ms (target ≤ %.1f ms): %s%n",
        what, added, limit, added <= limit ? "met" : "missed");
  }

  /**
   * {@code HOLD=/some/file}: after the warm-up, print the pods' network namespaces and the proxies'
   * pids, and wait until that file is deleted (the bed is then yours to drive by hand: {@code ip
   * netns exec … redis-benchmark}, {@code perf stat -p}, {@code jcmd}); the rounds follow. {@code
   * HOLD_AFTER=/some/file} waits the same way after the rounds, where the RSS is judged.
   */
  private static void hold(TestBed bed, String variable, long... pids) throws Exception {
    String hold = System.getenv(variable);
    if (hold == null) {
      return;
    }
    Path file = Path.of(hold);
    Files.writeString(file, "delete me to go on\n");
    for (String pod : List.of("bare", "client", "redis", "hapc", "haps")) {
      System.out.printf("HOLD pod %s: netns %s%n", pod, bed.pod(pod).ns().name());
    }
    System.out.printf(
        "HOLD pids: portolan client %d, server %d; haproxy client %d, server %d;"
            + " targets: direct %s:6379, portolan %s:6379, haproxy 127.0.0.1:6379 (from hapc)%n",
        pids[0], pids[1], pids[2], pids[3], PLAIN, REDIS);
    System.out.println("HOLD: waiting until " + file + " is deleted");
    while (Files.exists(file)) {
      Thread.sleep(500);
    }
  }

  private static void ratio(String what, double ratio) {
    System.out.printf(
        "portolan %s: %.3f× (target ≥ 1.0×): %s%n", what, ratio, ratio >= 1.0 ? "met" : "missed");
  }

  /**
   * A proxy's RSS against 96 MiB: VmRSS after the rounds (under the load just ended, as the target
   * is read in docs/proxy.md, *Memory*), and the peak of the run (VmHWM, which includes the
   * warm-up's compilations) beside it.
   */
  private static void rss(String which, long pid) throws Exception {
    double now = kib(pid, "VmRSS") / 1024.0;
    double peak = kib(pid, "VmHWM") / 1024.0;
    System.out.printf(
        "portolan %s proxy RSS after the rounds: %.1f MiB (peak %.1f MiB) (target ≤ 96 MiB): %s%n",
        which, now, peak, now <= 96 ? "met" : "missed");
  }

  private static long kib(long pid, String key) throws Exception {
    return Long.parseLong(ProcFigures.status(pid, key).split("\\s+")[0]);
  }

  /** A CA, a server certificate for {@link #HA_NAME} and a client certificate, EC P-256. */
  private static void certificates(Path dir) throws Exception {
    String d = dir.toString();
    Files.writeString(dir.resolve("server.ext"), "subjectAltName=DNS:" + HA_NAME + "\n");
    Files.writeString(dir.resolve("client.ext"), "subjectAltName=DNS:hapc.bench.local\n");
    Sh.run(
        "sh",
        "-c",
        String.join(
            " && ",
            "cd " + d,
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key"
                + " -out ca.crt -subj /CN=bench-ca -days 2 2>/dev/null",
            cert("server"),
            cert("client"),
            "cat server.crt server.key > server.pem",
            "cat client.crt client.key > client.pem"));
  }

  private static String cert(String name) {
    return "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %1$s.key -out"
            .formatted(name)
        + " %1$s.csr -subj /CN=%1$s 2>/dev/null && openssl x509 -req -in %1$s.csr -CA ca.crt -CAkey"
            .formatted(name)
        + " ca.key -CAcreateserial -out %1$s.crt -days 2 -extfile %1$s.ext 2>/dev/null"
            .formatted(name);
  }

  /** HAProxy in the redis pod: TLS 1.3 on 4143, client certificate required, to 127.0.0.1. */
  private static long haproxyServer(TestBed bed, Path pki) throws Exception {
    return Peers.startHaproxy(
        bed,
        "haps",
        "",
        """
        frontend mtls
          mode tcp
          bind 0.0.0.0:4143 ssl crt %1$s/server.pem ca-file %1$s/ca.crt verify required \
        ssl-min-ver TLSv1.3
          default_backend app
        backend app
          mode tcp
          server r 127.0.0.1:6379
        """
            .formatted(pki),
        "haps",
        List.of("redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"),
        r -> r.output().contains("PONG"));
  }

  /** HAProxy on the client pod's loopback: TLS 1.3 to the server, verifying its name. */
  private static long haproxyClient(TestBed bed, Path pki) throws Exception {
    return Peers.startHaproxy(
        bed,
        "hapc",
        "",
        """
        frontend app
          mode tcp
          bind 127.0.0.1:6379
          default_backend mesh
        backend mesh
          mode tcp
          server s %2$s:4143 ssl crt %1$s/client.pem ca-file %1$s/ca.crt verify required \
        verifyhost %3$s sni str(%3$s) ssl-min-ver TLSv1.3 no-ssl-reuse
        """
            .formatted(pki, HA_SERVER, HA_NAME),
        "hapc",
        List.of("redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"),
        r -> r.output().contains("PONG"));
  }

  /**
   * One path's figures per round: 0 throughput, 1 p50, 2 p99 under load; 3 unused, 4 p50, 5 p99 of
   * one client; 6 new connections per second.
   */
  private static final class Run {
    final String label;
    final String from;
    final String host;
    final int port;
    final long[] proxies;
    final List<double[]> rounds = new ArrayList<>();

    /**
     * CPU of the proxies per round: 0 µs per request -c 50, 1 per request -c 1, 2 per connection.
     */
    final List<double[]> cpu = new ArrayList<>();

    Run(String label, String from, String host, int port, long... proxies) {
      this.label = label;
      this.from = from;
      this.host = host;
      this.port = port;
      this.proxies = proxies;
    }

    /** User and system CPU time of the path's proxies together, in clock ticks. */
    private long ticks() {
      long sum = 0;
      for (long pid : proxies) {
        try {
          sum += ProcFigures.cpuTicks(pid);
        } catch (Exception e) {
          throw new IllegalStateException(label + ": proxy " + pid + " has no /proc/stat", e);
        }
      }
      return sum;
    }

    /** Clock ticks are 10 ms here: microseconds of CPU per operation. */
    private static double perOp(long ticks, long ops) {
      return ticks * 10_000.0 / ops;
    }

    void measure(TestBed bed, boolean warmUp) {
      double[] f = new double[7];
      double[] c = new double[3];
      long t0 = ticks();
      List<double[]> load = csv(bed, "-c", "50", "-n", Integer.toString(LOAD), "-t", "set,get");
      long t1 = ticks();
      f[0] = load.stream().mapToDouble(x -> x[0]).average().orElseThrow();
      f[1] = load.stream().mapToDouble(x -> x[3]).max().orElseThrow();
      f[2] = load.stream().mapToDouble(x -> x[5]).max().orElseThrow();
      double[] one = csv(bed, "-c", "1", "-n", Integer.toString(ONE_CLIENT), "-t", "get").get(0);
      long t2 = ticks();
      f[4] = one[3];
      f[5] = one[5];
      double[] conns =
          csv(bed, "-c", "10", "-k", "0", "-n", Integer.toString(CONNECTIONS), "-t", "get").get(0);
      long t3 = ticks();
      f[6] = conns[0];
      c[0] = perOp(t1 - t0, 2L * LOAD);
      c[1] = perOp(t2 - t1, ONE_CLIENT);
      c[2] = perOp(t3 - t2, CONNECTIONS);
      if (!warmUp) {
        rounds.add(f);
        cpu.add(c);
      }
    }

    /** rps, avg, min, p50, p95, p99, max of each test line. */
    private List<double[]> csv(TestBed bed, String... args) {
      List<String> cmd =
          new ArrayList<>(
              List.of("redis-benchmark", "-h", host, "-p", Integer.toString(port), "--csv"));
      cmd.addAll(Arrays.asList(args));
      String out = bed.pod(from).run(cmd.toArray(String[]::new));
      List<double[]> lines = new ArrayList<>();
      Matcher m = CSV.matcher(out);
      while (m.find()) {
        double[] v = new double[7];
        for (int i = 0; i < 7; i++) {
          v[i] = Double.parseDouble(m.group(i + 2));
        }
        lines.add(v);
      }
      if (lines.isEmpty()) {
        throw new IllegalStateException(label + ": redis-benchmark " + cmd + " said:\n" + out);
      }
      return lines;
    }

    double median(int figure) {
      double[] v = rounds.stream().mapToDouble(f -> f[figure]).sorted().toArray();
      return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    double medianCpu(int figure) {
      double[] v = cpu.stream().mapToDouble(f -> f[figure]).sorted().toArray();
      return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    String last() {
      double[] f = rounds.getLast();
      double[] c = cpu.getLast();
      String line =
          String.format(
              "%s: %.0f req/s, p50 %.3f p99 %.3f ms (-c 50); p50 %.3f p99 %.3f ms (-c 1);"
                  + " %.0f connections/s",
              label, f[0], f[1], f[2], f[4], f[5], f[6]);
      return proxies.length == 0
          ? line
          : line
              + String.format(
                  "; proxies' CPU %.1f / %.1f µs per request, %.0f µs per connection",
                  c[0], c[1], c[2]);
    }

    String cpuRow() {
      return String.format(
          "| %s | %.1f | %.1f | %.0f |", label, medianCpu(0), medianCpu(1), medianCpu(2));
    }

    String row() {
      return String.format(
          "| %s | %.0f | %.3f / %.3f | %.3f / %.3f | %.0f |",
          label, median(0), median(1), median(2), median(4), median(5), median(6));
    }
  }
}
