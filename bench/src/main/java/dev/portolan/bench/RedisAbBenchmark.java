package dev.portolan.bench;

import dev.portolan.proxy.peers.Redis;
import dev.portolan.proxy.testbed.TestBed;
import java.util.regex.Matcher;

/**
 * One Portolan hop against one HAProxy hop on redis, many times in one test bed: the steadier
 * comparison for a change to the relay ({@code bench/dataplane.sh --ab [rounds]}). After a warm-up
 * of each path, every round runs {@code redis-benchmark -c 50 -n 200000 -t ping,set,get} through
 * the client proxy and then through HAProxy; it prints each round, then the mean throughput of
 * PING_INLINE, SET and GET per path, their ratio, and each process's user and system CPU over all
 * rounds (PING_MBULK included: four commands per run).
 */
final class RedisAbBenchmark {
  private static final int REQUESTS = 200_000;

  private RedisAbBenchmark() {}

  static void run(int rounds) throws Exception {
    DataPlaneBenchmark.header();
    try (TestBed bed = DataPlaneBenchmark.bed().start()) {
      Redis.server(bed, "plain", 6379);
      DataPlaneBenchmark.nginx(bed);
      long haproxyPid = DataPlaneBenchmark.haproxy(bed);
      long proxyPid = bed.pod("client").proxy().pid();
      Path portolan = new Path("portolan 1 hop", "client", DataPlaneBenchmark.PLAIN, proxyPid);
      Path haproxy = new Path("haproxy tcp", "bare", DataPlaneBenchmark.HAPROXY, haproxyPid);
      for (Path p : new Path[] {portolan, haproxy}) {
        bed.pod(p.from).run(DataPlaneBenchmark.redisBenchmark(p.host, 50_000, "ping"));
      }
      for (int r = 1; r <= rounds; r++) {
        System.out.printf(
            "round %d: portolan %.0f req/s, haproxy %.0f req/s%n",
            r, portolan.measure(bed), haproxy.measure(bed));
      }
      double ratio = portolan.meanRps() / haproxy.meanRps();
      System.out.printf(
          "%d rounds: portolan %.0f req/s, haproxy %.0f req/s: %.3f×%n",
          rounds, portolan.meanRps(), haproxy.meanRps(), ratio);
      for (Path p : new Path[] {portolan, haproxy}) {
        long requests = 4L * REQUESTS * rounds;
        System.out.printf(
            "%s: CPU user %d ticks, system %d ticks (%.1f µs per request)%n",
            p.label, p.user, p.sys, (p.user + p.sys) * 10_000.0 / requests);
      }
      System.out.printf(
          "client proxy: VmHWM (peak RSS) %s%n", ProcFigures.status(proxyPid, "VmHWM"));
    }
    System.exit(0);
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

    Path(String label, String from, String host, long pid) {
      this.label = label;
      this.from = from;
      this.host = host;
      this.pid = pid;
    }

    /** One run; returns its mean throughput over PING_INLINE, SET and GET. */
    double measure(TestBed bed) throws Exception {
      long[] before = ProcFigures.userSysTicks(pid);
      String out =
          bed.pod(from)
              .run(DataPlaneBenchmark.redisBenchmark(host, REQUESTS, "ping,set,get"))
              .replace('\r', '\n');
      long[] after = ProcFigures.userSysTicks(pid);
      user += after[0] - before[0];
      sys += after[1] - before[1];
      double sum = 0;
      int n = 0;
      Matcher m = DataPlaneBenchmark.REDIS_LINE.matcher(out);
      while (m.find()) {
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

    double meanRps() {
      return rpsSum / runs;
    }
  }
}
