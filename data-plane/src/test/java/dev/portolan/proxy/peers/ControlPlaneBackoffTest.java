package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.discovery.Limits;
import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Bounded reconnect (docs/proxy.md, "Reconnecting to the control plane"): after an outage long
 * enough for gRPC's own connect backoff to have grown past half a minute, the proxy is fresh again
 * within the documented bound of the policy-server's restart. The bound does not depend on the
 * outage's length (the delay is capped and the channel's backoff is reset before each attempt), so
 * a 60 s outage stands for the 150 s one ({@code -Dportolan.outageSeconds=150} runs that).
 */
class ControlPlaneBackoffTest {
  static final String CLUSTER_IP = "10.96.77.50";
  static final String REDIS = "10.244.77.51";
  // A loaded 2-core machine needs time for the connect and the server's first answers.
  static final Duration SLACK = Duration.ofSeconds(10);

  @Test
  void after_an_outage_the_proxy_is_fresh_within_the_backoff_bound() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-cli");
    long outage = Long.getLong("portolan.outageSeconds", 60);
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.50", true, "", "")
            .pod("redis", REDIS, true, "", "{name: redis, containerPort: 6379}")
            .service("redis", "redis", CLUSTER_IP, 6379, 6379)
            .start()) {
      Redis.server(bed, "redis", 6379);
      List<String> cmd = new ArrayList<>(bed.pod("client").ns().exec());
      cmd.addAll(
          List.of("redis-cli", "-h", CLUSTER_IP, "-p", "6379", "-r", "-1", "-i", "0.2", "PING"));
      try (JavaProcess pinger = JavaProcess.command(cmd, Map.of())) {
        pinger.awaitLine("PONG");
        bed.stopPolicyServer();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> bed.pod("client").metrics().contains("discovery_stale{kind=\"profile\"} 1"));
        long down = System.nanoTime();
        await()
            .pollDelay(Duration.ofSeconds(outage))
            .atMost(Duration.ofSeconds(outage + 60))
            .until(pinger::isAlive);
        System.out.printf(
            "control plane away for %d s%n",
            Duration.ofNanos(System.nanoTime() - down).toSeconds());

        bed.restartPolicyServer(); // returns once it listens
        long up = System.nanoTime();
        Duration bound = Limits.DEFAULT.backoffBound().plus(SLACK);
        await()
            .atMost(bound)
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> bed.pod("client").metrics().contains("discovery_stale{kind=\"profile\"} 0"));
        Duration fresh = Duration.ofNanos(System.nanoTime() - up);
        System.out.printf(
            "fresh %d ms after the restart (backoff bound %d ms, outage %d s)%n",
            fresh.toMillis(), Limits.DEFAULT.backoffBound().toMillis(), outage);
        pinger.awaitLine("PONG");
        assertThat(pinger.isAlive()).isTrue();
      }
    }
  }
}
