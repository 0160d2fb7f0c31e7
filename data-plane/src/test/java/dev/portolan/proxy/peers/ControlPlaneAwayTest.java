package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The policy-server stopped mid-run: established and new connections to known destinations keep
 * working, an unknown destination is forwarded to where it was going, and on restart the proxies
 * subscribe again.
 */
class ControlPlaneAwayTest {
  static final String CLUSTER_IP = "10.96.77.30";
  static final String REDIS = "10.244.77.31";

  @Test
  void proxies_keep_working_from_their_last_known_state() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark", "redis-cli");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.30", true, "", "")
            .pod("redis", REDIS, true, "", "{name: redis, containerPort: 6379}")
            .service("redis", "redis", CLUSTER_IP, 6379, 6379)
            .start()) {
      Redis.server(bed, "redis", 6379);
      Redis.server(bed, "redis", 6380); // in no manifest: unknown to the control plane
      Redis.benchmark(bed, "client", CLUSTER_IP, 6379, 500);

      // One long-lived connection: a PING every 50 ms.
      List<String> cmd = new java.util.ArrayList<>(bed.pod("client").ns().exec());
      cmd.addAll(
          List.of("redis-cli", "-h", CLUSTER_IP, "-p", "6379", "-r", "-1", "-i", "0.05", "PING"));
      try (JavaProcess pinger = JavaProcess.command(cmd, Map.of())) {
        pinger.awaitLine("PONG");

        bed.stopPolicyServer();

        // The established connection goes on, and new ones to known destinations work.
        for (int i = 0; i < 5; i++) {
          pinger.awaitLine("PONG");
        }
        Redis.benchmark(bed, "client", CLUSTER_IP, 6379, 500);
        // Never seen before, and nobody to ask: forwarded to the original destination.
        Redis.benchmark(bed, "client", REDIS, 6380, 200);
        assertThat(pinger.isAlive()).isTrue();
        assertThat(bed.pod("client").metrics()).contains("discovery_stale{kind=\"profile\"} 1");

        bed.restartPolicyServer();
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(30))
            .until(
                () -> bed.pod("client").metrics().contains("discovery_stale{kind=\"profile\"} 0"));
        pinger.awaitLine("PONG");
      }
    }
  }
}
