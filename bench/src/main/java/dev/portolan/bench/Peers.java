package dev.portolan.bench;

import dev.portolan.proxy.init.ProxyInit;
import dev.portolan.proxy.init.ProxyInitConfig;
import dev.portolan.proxy.peers.Nginx;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The benchmark's peers in the test bed: nginx, HAProxy as its own hop and in the sidecar's seat.
 */
final class Peers {
  private Peers() {}

  /** nginx in the web pod; its connections are never retired during a run. */
  static void nginx(TestBed bed) throws Exception {
    Nginx.start(bed, "web", "hello", 10_000_000);
  }

  /** Starts HAProxy in its pod; returns its pid (one process, threads inside). */
  static long haproxy(TestBed bed) throws Exception {
    return startHaproxy(
        bed,
        "haproxy",
        "",
        """
        frontend redis
          mode tcp
          bind 0.0.0.0:6379
          default_backend redis
        backend redis
          mode tcp
          server r %s:6379
        frontend web
          mode http
          bind 0.0.0.0:8080
          default_backend web
        backend web
          mode http
          http-reuse always
          server w %s:8080
        frontend web2
          mode http
          bind 0.0.0.0:8081 proto h2
          default_backend web2
        backend web2
          mode http
          http-reuse always
          server w2 %s:8081 proto h2
        """
            .formatted(DataPlaneBenchmark.PLAIN, DataPlaneBenchmark.WEB, DataPlaneBenchmark.WEB),
        "bare",
        List.of("curl", "-s", "--max-time", "1", "http://" + DataPlaneBenchmark.HAPROXY + ":8080/"),
        r -> r.exit() == 0);
  }

  /**
   * Starts HAProxy in a pod on the shared global and defaults sections plus {@code global} (more
   * global lines) and {@code sections}, and waits until {@code probe}, run in {@code from}, answers
   * as {@code up} says. Returns its pid (one process, threads inside).
   */
  static long startHaproxy(
      TestBed bed,
      String pod,
      String global,
      String sections,
      String from,
      List<String> probe,
      java.util.function.Predicate<Sh.Result> up)
      throws Exception {
    Path conf = Files.createTempFile("portolan-bench-haproxy-" + pod, ".cfg");
    Files.writeString(
        conf,
        """
        global
        %s%s\
        defaults
          timeout connect 3s
          timeout client 60s
          timeout server 60s
        %s\
        """
            // HAProxy keeps the first maxconn of its global section: a caller's own comes alone.
            .formatted(global.contains("maxconn") ? "" : "  maxconn 4096\n", global, sections));
    long pid = bed.background(pod, "haproxy", "-db", "-f", conf.toString()).pid();
    List<String> cmd = new ArrayList<>(bed.pod(from).ns().exec());
    cmd.addAll(probe);
    for (int i = 0; i < 100 && !up.test(Sh.tryRun(cmd)); i++) {
      Thread.onSpinWait();
    }
    return pid;
  }

  /**
   * HAProxy in the sidecar's seat: the "seat" pod gets the same iptables rules as a meshed pod
   * (proxy-init's defaults: outbound to 4140, UID 2102 excluded) and HAProxy, running as UID 2102,
   * listens on 4140 with redis as its one backend. redis-benchmark in that pod to redis's own
   * address is then redirected to HAProxy exactly as the client pod's is to Portolan: same NAT,
   * same conntrack, same loopback leg, so the two differ only in the proxy. Returns its pid.
   */
  static long haproxyInSeat(TestBed bed) throws Exception {
    ProxyInit.apply(ProxyInitConfig.defaults(), bed.pod("seat").ns().exec(), true);
    return startHaproxy(
        bed,
        "seat",
        """
          uid 2102
          gid 2102
        """,
        """
        frontend outbound
          mode tcp
          bind 0.0.0.0:4140
          default_backend redis
        backend redis
          mode tcp
          server r %s:6379
        """
            .formatted(DataPlaneBenchmark.PLAIN),
        "seat",
        List.of("redis-cli", "-h", DataPlaneBenchmark.PLAIN, "-p", "6379", "ping"),
        r -> r.output().contains("PONG"));
  }
}
