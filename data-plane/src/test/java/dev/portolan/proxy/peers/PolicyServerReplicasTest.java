package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replicas (docs/proxy.md, "Reconnecting to the control plane"): two policy-servers over the same
 * manifests directory, the proxy given both; the one it is connected to is killed (SIGKILL). The
 * proxy moves to the other and never applies an empty answer in between: a connection pinging the
 * Service keeps its answers, and new connections to the cluster IP reach the endpoint (with no
 * endpoints they would go to the cluster IP itself, which nothing in the bed answers).
 */
class PolicyServerReplicasTest {
  static final String CLUSTER_IP = "10.96.77.60";
  static final String REDIS = "10.244.77.61";

  @Test
  void a_killed_replica_is_replaced_by_the_other_without_an_empty_answer() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-cli", "redis-benchmark", "ss");
    String replicas = TestBed.NODE_IP + ":8086," + TestBed.NODE_IP + ":8087";
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.60", true, "", "")
            .pod("redis", REDIS, true, "", "{name: redis, containerPort: 6379}")
            .service("redis", "redis", CLUSTER_IP, 6379, 6379)
            .proxyEnv("client", Map.of("PORTOLAN_POLICY_SERVER", replicas))
            .start()) {
      JavaProcess second = bed.startReplica(8087, 8081);
      Redis.server(bed, "redis", 6379);
      List<String> cmd = new ArrayList<>(bed.pod("client").ns().exec());
      cmd.addAll(
          List.of("redis-cli", "-h", CLUSTER_IP, "-p", "6379", "-r", "-1", "-i", "0.05", "PING"));
      try (JavaProcess pinger = JavaProcess.command(cmd, Map.of())) {
        pinger.awaitLine("PONG");
        Redis.benchmark(bed, "client", CLUSTER_IP, 6379, 200);

        await().atMost(Duration.ofSeconds(30)).until(() -> connectedReplicaPort(bed) != 0);
        int port = connectedReplicaPort(bed);
        System.out.println("the client's proxy uses the replica on port " + port);
        long killed = System.nanoTime();
        (port == 8086 ? bed.policyServer() : second).close(); // SIGKILL
        int other = port == 8086 ? 8087 : 8086;

        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> connectedReplicaPort(bed) == other);
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> bed.pod("client").metrics().contains("discovery_stale{kind=\"profile\"} 0"));
        System.out.printf(
            "moved to the replica on port %d, fresh %d ms after the kill%n",
            other, Duration.ofNanos(System.nanoTime() - killed).toMillis());

        // New connections still find the endpoint, and the long-lived one never stopped.
        Redis.benchmark(bed, "client", CLUSTER_IP, 6379, 200);
        for (int i = 0; i < 5; i++) {
          pinger.awaitLine("PONG");
        }
        assertThat(pinger.isAlive()).isTrue();
        assertThat(pinger.output()).doesNotContainIgnoringCase("error");
      }
    }
  }

  /** The policy-server port the client pod's proxy has an established connection to, or 0. */
  private static int connectedReplicaPort(TestBed bed) {
    String out = bed.pod("client").run("ss", "-Htn", "state", "established");
    for (String line : out.lines().toList()) {
      for (int p : new int[] {8086, 8087}) {
        // IPv4, or IPv4-mapped on a dual-stack socket: 10.244.77.1:8086, [::ffff:10.244.77.1]:8086
        if ((line + " ")
            .matches(".*" + TestBed.NODE_IP.replace(".", "\\.") + "\\]?:" + p + "\\s.*")) {
          return p;
        }
      }
    }
    return 0;
  }
}
