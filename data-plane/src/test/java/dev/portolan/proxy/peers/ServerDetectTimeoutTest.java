package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A per-port Detect timeout from a Server's {@code config.portolan.io/detect-timeout}
 * (docs/proxy.md, "Detection and server-speaks-first"): two redis ports on one pod, both left to
 * detection; the Server gives one a 300 ms deadline, the other keeps the install's 10 s. A client
 * connects, sends {@code PIN} (still possibly an HTTP request line) and stays silent for 1.5 s: on
 * the Server's port the deadline passes first and the connection is relayed as TCP; on the other
 * the rest of the bytes arrive first and decide it. Either way redis answers the PING.
 */
class ServerDetectTimeoutTest {
  static final String PLAIN = "10.244.77.81";
  static final String CACHE = "10.244.77.82";
  static final int SHORT = 6390;
  static final int DEFAULT = 6391;
  static final String TIMEOUT = "inbound_tcp_detect_results_total\\{result=\"read_timeout\"\\}";
  static final String TCP = "inbound_tcp_detect_results_total\\{result=\"tcp\"\\}";
  private static TestBed bed;

  @BeforeAll
  static void start() throws Exception {
    Sh.assumeRootWith("redis-server");
    bed =
        new TestBed()
            .pod("plain", PLAIN, false, "", "")
            .pod(
                "cache",
                CACHE,
                true,
                "",
                "{name: short, containerPort: %d}, {name: default, containerPort: %d}"
                    .formatted(SHORT, DEFAULT))
            .manifest(
                """
                apiVersion: policy.linkerd.io/v1beta3
                kind: Server
                metadata:
                  name: cache-short
                  namespace: bed
                  creationTimestamp: "2026-01-01T00:00:00Z"
                  annotations: {config.portolan.io/detect-timeout: 300ms}
                spec:
                  podSelector: {matchLabels: {app: cache}}
                  port: short
                  proxyProtocol: unknown
                """)
            .policyServerArgs("--portolan.detect-timeout=10s")
            .start();
    Redis.server(bed, "cache", SHORT);
    Redis.server(bed, "cache", DEFAULT);
    // A first connection per port makes the cache's proxy learn the port's policy (and deadline):
    // one that arrived before it would wait for the policy, then fall back to the proxy's own 10 s.
    for (int port : new int[] {SHORT, DEFAULT}) {
      assertThat(script(port, "send:PING\\r\\n", "expect:+PONG")).contains("script done 1/1");
    }
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void the_servers_port_falls_back_to_tcp_after_300_ms_and_still_relays_later_bytes()
      throws Exception {
    String before = bed.pod("cache").metrics();
    String out = script(SHORT, "send:PIN", "sleep:1500", "send:G\\r\\n", "expect:+PONG");
    assertThat(out).contains("script done 1/1");
    String after = bed.pod("cache").metrics();
    assertThat(delta(before, after, TIMEOUT)).as("the 300 ms deadline decided").isEqualTo(1);
    assertThat(delta(before, after, TCP)).isZero();
  }

  @Test
  void the_other_port_keeps_the_install_deadline() throws Exception {
    String before = bed.pod("cache").metrics();
    String out = script(DEFAULT, "send:PIN", "sleep:1500", "send:G\\r\\n", "expect:+PONG");
    assertThat(out).contains("script done 1/1");
    String after = bed.pod("cache").metrics();
    assertThat(delta(before, after, TCP)).as("decided by its bytes, inside 10 s").isEqualTo(1);
    assertThat(delta(before, after, TIMEOUT)).isZero();
  }

  private static String script(int port, String... steps) throws Exception {
    String[] args = new String[3 + steps.length];
    args[0] = CACHE;
    args[1] = Integer.toString(port);
    args[2] = "1";
    System.arraycopy(steps, 0, args, 3, steps.length);
    JavaProcess p = bed.javaIn("plain", ScriptedClient.class, args);
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> p.output().contains("script done") || !p.isAlive());
    System.out.println(p.output());
    return p.output();
  }

  private static long delta(String before, String after, String series) {
    return count(after, series) - count(before, series);
  }

  /** The value of one series, 0 when absent. */
  private static long count(String metrics, String series) {
    Matcher m = Pattern.compile("(?m)^" + series + " (\\d+)$").matcher(metrics);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }
}
