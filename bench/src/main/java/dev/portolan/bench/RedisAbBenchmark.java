package dev.portolan.bench;

import dev.portolan.proxy.peers.Redis;
import dev.portolan.proxy.testbed.TestBed;
import java.util.regex.Matcher;

/**
 * One Portolan hop against one HAProxy hop on redis, many times in one test bed: the steadier
 * comparison for a change to the relay ({@code bench/dataplane.sh --ab [rounds]}). After a warm-up
 * of each path, every round runs {@code redis-benchmark -c 50 -n 200000 -t ping,set,get} through
 * the client proxy, through HAProxy as its own hop (the benchmark's peer), and through HAProxy in
 * the sidecar's seat ({@link Peers#haproxyInSeat}: behind the same iptables rules as the client
 * proxy). It prints each round, then the mean throughput of PING_INLINE, SET and GET per path and
 * the ratios, and for each path over all rounds (PING_MBULK included: four commands per run): the
 * proxy process's user and system CPU and context switches, and the whole machine's CPU (softirq,
 * the network stack's receive side, is charged to no process).
 */
final class RedisAbBenchmark {
  private static final int REQUESTS = 200_000;
  private static final String VARIANT_IP = "10.244.77.97";
  private static final java.util.regex.Pattern CHILDREN =
      java.util.regex.Pattern.compile("CHILDREN ([0-9]+) ([0-9]+)");

  private RedisAbBenchmark() {}

  static void run(int rounds) throws Exception {
    DataPlaneBenchmark.header();
    java.util.Map<String, String> variant = variant();
    String variantClasspath = System.getenv("VARIANT_CLASSPATH");
    boolean variantTree = variantClasspath != null && !variantClasspath.isBlank();
    String variantLabel =
        "portolan variant "
            + (variantTree ? "of " + System.getenv("VARIANT_COMMIT") + " " : "")
            + (variant.isEmpty() ? "" : variant);
    TestBed setup = DataPlaneBenchmark.bed();
    if (!variant.isEmpty() || variantTree) {
      setup.pod("variant", VARIANT_IP, true, "", "").proxyEnv("variant", variant);
      if (variantTree) {
        // A proxy built from another commit (VARIANT_TREE): its own jar and dependencies, the
        // same JVM options, environment and bed as this commit's.
        setup.proxyClasspath("variant", variantClasspath);
        System.out.println("variant proxy classpath: " + variantClasspath);
      }
    }
    try (TestBed bed = setup.start()) {
      long redisPid = Redis.server(bed, "plain", 6379).pid();
      Peers.nginx(bed);
      long haproxyPid = Peers.haproxy(bed);
      long seatPid = Peers.haproxyInSeat(bed);
      long proxyPid = bed.pod("client").proxy().pid();
      Path portolan = new Path("portolan 1 hop", "client", DataPlaneBenchmark.PLAIN, proxyPid);
      Path haproxy = new Path("haproxy tcp", "bare", DataPlaneBenchmark.HAPROXY, haproxyPid);
      Path seat =
          new Path("haproxy in the sidecar seat", "seat", DataPlaneBenchmark.PLAIN, seatPid);
      java.util.List<Path> paths =
          new java.util.ArrayList<>(java.util.List.of(portolan, haproxy, seat));
      Path variantPath = null;
      if (!variant.isEmpty() || variantTree) {
        variantPath =
            new Path(
                variantLabel.strip(),
                "variant",
                DataPlaneBenchmark.PLAIN,
                bed.pod("variant").proxy().pid());
        paths.add(variantPath);
      }
      for (Path p : paths) {
        bed.pod(p.from).run(DataPlaneBenchmark.redisBenchmark(p.host, 50_000, "ping"));
      }
      System.out.printf(
          "redis-server: pid %d (%s)%n",
          redisPid,
          java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + redisPid + "/comm"))
              .strip());
      for (Path p : paths) {
        p.redisPid = redisPid;
      }
      hold(bed, paths);
      // Per round: portolan over each other path (and a variant over portolan).
      double[][] ratios = new double[paths.size()][rounds];
      for (int r = 0; r < rounds; r++) {
        StringBuilder line = new StringBuilder("round " + (r + 1) + ":");
        double[] rps = new double[paths.size()];
        // Every other round in reverse order: a path that always ran first or last would carry
        // the order's effect (a warmer cache, the machine's load drifting) into every ratio.
        for (int j = 0; j < paths.size(); j++) {
          int i = r % 2 == 0 ? j : paths.size() - 1 - j;
          rps[i] = paths.get(i).measure(bed);
          line.append(String.format(" %s %.0f req/s;", paths.get(i).label, rps[i]));
        }
        for (int i = 1; i < paths.size(); i++) {
          ratios[i][r] = paths.get(i).variant() ? rps[i] / rps[0] : rps[0] / rps[i];
        }
        System.out.println(line);
      }
      System.out.printf(
          "%d rounds: portolan %.0f req/s, haproxy %.0f req/s: %.3f×;"
              + " haproxy in the seat %.0f req/s: portolan %.3f× of it%n",
          rounds,
          portolan.meanRps(),
          haproxy.meanRps(),
          portolan.meanRps() / haproxy.meanRps(),
          seat.meanRps(),
          portolan.meanRps() / seat.meanRps());
      for (int i = 1; i < paths.size(); i++) {
        Path p = paths.get(i);
        System.out.println(
            (p.variant()
                    ? "per-round ratio, the variant over portolan: "
                    : "per-round ratio, portolan over " + p.label + ": ")
                + RoundStats.of(ratios[i]));
      }
      for (Path p : paths) {
        long requests = 4L * REQUESTS * rounds;
        System.out.printf(
            "%s: CPU user %d ticks, system %d ticks (%.1f µs per request)%n",
            p.label, p.user, p.sys, (p.user + p.sys) * 10_000.0 / requests);
        System.out.printf(
            "  context switches: %d voluntary, %d involuntary (%.2f per request)%n",
            p.voluntary, p.involuntary, (p.voluntary + p.involuntary) / (double) requests);
        long busy = p.machine[0] + p.machine[1] + p.machine[2];
        System.out.printf(
            "  whole machine: user %d, system %d, irq+softirq %d, idle+iowait %d, steal %d ticks"
                + " (%.1f µs busy per request)%n",
            p.machine[0],
            p.machine[1],
            p.machine[2],
            p.machine[3],
            p.machine[4],
            busy * 10_000.0 / requests);
        System.out.printf(
            "  the peers: redis-server user %d, system %d ticks, %.2f context switches per"
                + " request; redis-benchmark user %d, system %d ticks (%.1f µs per request for"
                + " the two)%n",
            p.peer[0],
            p.peer[1],
            (p.peer[2] + p.peer[3]) / (double) requests,
            p.bench[0],
            p.bench[1],
            (p.peer[0] + p.peer[1] + p.bench[0] + p.bench[1]) * 10_000.0 / requests);
        StringBuilder commands = new StringBuilder();
        p.perCommand.forEach(
            (c, sum) -> commands.append(String.format(" %s %.0f", c, sum / p.runs)));
        System.out.printf(
            "  per command (req/s):%s; wall %.1f s for %d requests%n",
            commands, p.wallNanos / 1e9, requests);
      }
      System.out.printf(
          "client proxy: VmHWM (peak RSS) %s, VmRSS %s%n",
          ProcFigures.status(proxyPid, "VmHWM"), ProcFigures.status(proxyPid, "VmRSS"));
      if (variantPath != null) {
        long hwm = kib(ProcFigures.status(proxyPid, "VmHWM"));
        long variantHwm = kib(ProcFigures.status(variantPath.pid, "VmHWM"));
        System.out.printf(
            "variant proxy: VmHWM (peak RSS) %d kB, VmRSS %s; VmHWM the variant over portolan:"
                + " %.3f (%+d kB)%n",
            variantHwm,
            ProcFigures.status(variantPath.pid, "VmRSS"),
            variantHwm / (double) hwm,
            variantHwm - hwm);
      }
    }
    System.exit(0);
  }

  /** A /proc status figure ("87704 kB") in KiB. */
  private static long kib(String status) {
    return Long.parseLong(status.replaceAll("\\D", ""));
  }

  /**
   * {@code HOLD=/some/file}: after the warm-up, print each path's network namespace and proxy pid
   * and wait until that file is deleted, so the bed can be studied by hand ({@code perf sched},
   * {@code ip netns exec … redis-benchmark}); the rounds follow.
   */
  private static void hold(TestBed bed, java.util.List<Path> paths) throws Exception {
    String hold = System.getenv("HOLD");
    if (hold == null) {
      return;
    }
    java.nio.file.Path file = java.nio.file.Path.of(hold);
    java.nio.file.Files.writeString(file, "delete me to go on\n");
    for (Path p : paths) {
      System.out.printf(
          "HOLD %s: netns %s, target %s, proxy pid %d%n",
          p.label, bed.pod(p.from).ns().name(), p.host, p.pid);
    }
    System.out.println("HOLD: waiting until " + file + " is deleted");
    while (java.nio.file.Files.exists(file)) {
      Thread.sleep(500);
    }
  }

  /**
   * {@code VARIANT="PORTOLAN_X=y PORTOLAN_Z=w"}: a second meshed client pod whose proxy runs with
   * that environment, measured in every round beside the default proxy (a change to the proxy
   * compared with itself, in one bed).
   */
  private static java.util.Map<String, String> variant() {
    java.util.Map<String, String> env = new java.util.TreeMap<>();
    String v = System.getenv("VARIANT");
    if (v != null) {
      for (String kv : v.trim().split("\\s+")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          env.put(kv.substring(0, eq), kv.substring(eq + 1));
        } else if (!kv.isEmpty()) {
          throw new IllegalArgumentException("VARIANT: '" + kv + "' is not NAME=value");
        }
      }
    }
    return env;
  }

  /** A path through one proxy process, and what it has measured so far. */
  private static final class Path {
    final String label;
    final String from;
    final String host;
    final long pid;
    double rpsSum;
    int runs;
    long user;
    long sys;
    final long[] machine = new long[5];
    final java.util.Map<String, Double> perCommand = new java.util.LinkedHashMap<>();
    long wallNanos;
    long voluntary;
    long involuntary;
    long redisPid;
    // redis-server: user, system ticks, voluntary, involuntary switches; redis-benchmark: user,
    // system ticks (a child of the shell that ran it: its cutime and cstime).
    final long[] peer = new long[4];
    final long[] bench = new long[2];

    Path(String label, String from, String host, long pid) {
      this.label = label;
      this.from = from;
      this.host = host;
      this.pid = pid;
    }

    /** One run; returns its mean throughput over PING_INLINE, SET and GET. */
    double measure(TestBed bed) throws Exception {
      long[] before = ProcFigures.userSysTicks(pid);
      long[] machineBefore = ProcFigures.machineTicks();
      long[] switchesBefore = ProcFigures.contextSwitches(pid);
      long[] redisBefore = ProcFigures.userSysTicks(redisPid);
      long[] redisSwitchesBefore = ProcFigures.contextSwitches(redisPid);
      long start = System.nanoTime();
      String out =
          bed.pod(from)
              .run(
                  "sh",
                  "-c",
                  String.join(
                          " ", DataPlaneBenchmark.redisBenchmark(host, REQUESTS, "ping,set,get"))
                      + "; echo CHILDREN $(cut -d' ' -f16,17 /proc/$$/stat)")
              .replace('\r', '\n');
      wallNanos += System.nanoTime() - start;
      long[] redisAfter = ProcFigures.userSysTicks(redisPid);
      long[] redisSwitchesAfter = ProcFigures.contextSwitches(redisPid);
      peer[0] += redisAfter[0] - redisBefore[0];
      peer[1] += redisAfter[1] - redisBefore[1];
      peer[2] += redisSwitchesAfter[0] - redisSwitchesBefore[0];
      peer[3] += redisSwitchesAfter[1] - redisSwitchesBefore[1];
      Matcher children = CHILDREN.matcher(out);
      if (children.find()) {
        bench[0] += Long.parseLong(children.group(1));
        bench[1] += Long.parseLong(children.group(2));
      }
      long[] switchesAfter = ProcFigures.contextSwitches(pid);
      voluntary += switchesAfter[0] - switchesBefore[0];
      involuntary += switchesAfter[1] - switchesBefore[1];
      long[] after = ProcFigures.userSysTicks(pid);
      long[] machineAfter = ProcFigures.machineTicks();
      for (int i = 0; i < machine.length; i++) {
        machine[i] += machineAfter[i] - machineBefore[i];
      }
      user += after[0] - before[0];
      sys += after[1] - before[1];
      double sum = 0;
      int n = 0;
      Matcher m = DataPlaneBenchmark.REDIS_LINE.matcher(out);
      while (m.find()) {
        perCommand.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum);
        if (!m.group(1).equals("PING_MBULK")) {
          sum += Double.parseDouble(m.group(2));
          n++;
        }
      }
      if (n != 3) {
        throw new IllegalStateException(label + ": redis-benchmark said:\n" + out);
      }
      rpsSum += sum / n;
      runs++;
      return sum / n;
    }

    /** The variant proxy: compared with the default one, not the other way round. */
    boolean variant() {
      return from.equals("variant");
    }

    double meanRps() {
      return rpsSum / runs;
    }
  }
}
