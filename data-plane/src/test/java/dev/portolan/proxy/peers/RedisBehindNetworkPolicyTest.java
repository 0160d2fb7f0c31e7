package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.NetworkPolicyEnforcer;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * The Redis case of docs/networkpolicy.md for real: identity on, a meshed redis behind a
 * NetworkPolicy that allows only 6379 from its clients, enforced on the bridge by the test enforcer
 * (docs/design/test-bed.md). With {@code rewrite=always} (Linkerd's behaviour) the client proxy
 * tunnels to 4143, the network drops it and redis-benchmark fails; with {@code aware} the client
 * proxy keeps mTLS on 6379, the conflict is reported with a patch, and applying that patch moves
 * the open stream to 4143. A client whose own egress policy refuses 4143 is never rewritten, and an
 * unmeshed client keeps talking plaintext to 6379.
 *
 * <p>The aware test takes its mode from {@code -Dportolan.test.rewrite} (default {@code aware}):
 * run with {@code always} it must fail, which is the regression it guards.
 */
class RedisBehindNetworkPolicyTest {
  static final String CLIENT_IP = "10.244.77.30";
  static final String EGRESS_IP = "10.244.77.31";
  static final String OUTSIDER_IP = "10.244.77.32";
  static final String REDIS_IP = "10.244.77.33";
  static final List<String> PODS = List.of("client", "egress", "outsider", "redis");
  static final ObjectMapper JSON = new ObjectMapper();

  /** The Redis chart's shape: its clients may reach 6379, nothing about 4143. */
  static final String REDIS_POLICY =
      """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: redis, namespace: bed}
      spec:
        podSelector: {matchLabels: {app: redis}}
        policyTypes: [Ingress]
        ingress:
          - from:
              - podSelector: {matchLabels: {app: client}}
              - podSelector: {matchLabels: {app: egress}}
              - podSelector: {matchLabels: {app: outsider}}
            ports: [{port: 6379}]
      """;

  /** A client locked down for egress: redis on 6379 only. */
  static final String EGRESS_POLICY =
      """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: egress, namespace: bed}
      spec:
        podSelector: {matchLabels: {app: egress}}
        policyTypes: [Egress]
        egress:
          - to: [{podSelector: {matchLabels: {app: redis}}}]
            ports: [{port: 6379}]
      """;

  static TestBed bed(String rewrite) throws Exception {
    TestBed bed =
        new TestBed()
            .identity(true)
            .policyServerArgs("--portolan.network-policy.rewrite=" + rewrite)
            .pod("client", CLIENT_IP, true, "", "")
            .pod("egress", EGRESS_IP, true, "", "")
            .pod("outsider", OUTSIDER_IP, false, "", "")
            // The default 20 ms ClientHello window on 6379: on this bed's shared 2 cores, cold
            // client proxies under redis-benchmark's 10 concurrent connects send it later; the
            // late-ClientHello guard terminates those as mesh TLS all the same.
            .pod("redis", REDIS_IP, true, "", "{name: redis, containerPort: 6379}");
    // In the manifests from the start, as if the chart installed them with redis.
    Files.writeString(bed.manifestsDir().resolve("np-redis.yaml"), REDIS_POLICY);
    Files.writeString(bed.manifestsDir().resolve("np-egress.yaml"), EGRESS_POLICY);
    return bed.start();
  }

  @Test
  void always_black_holes_the_meshed_client() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark", "timeout");
    try (TestBed bed = bed("always")) {
      NetworkPolicyEnforcer enforcer = new NetworkPolicyEnforcer(bed, PODS);
      redisServer(bed);
      Sh.Result r =
          inPod(
              bed,
              "client",
              "timeout",
              "20",
              "redis-benchmark",
              "-h",
              REDIS_IP,
              "-p",
              "6379",
              "-n",
              "20",
              "-c",
              "1",
              "-t",
              "ping",
              "-q");
      System.out.println(
          "always: redis-benchmark exit " + r.exit() + ": " + r.output().replace('\r', '\n'));
      System.out.println(enforcer.counters());
      assertThat(r.exit()).as(r.output()).isNotZero();
      assertThat(r.output()).doesNotContain("requests per second");
      assertThat(enforcer.dropped("redis")).as("SYNs to 4143 dropped on redis's veth").isPositive();
      assertThat(enforcer.accepted("redis", 4143)).isZero();
      assertThat(bed.pod("client").metrics()).contains("errno=\"connect_failed\"");
    }
  }

  @Test
  void aware_keeps_mtls_on_6379_reports_the_conflict_and_switches_when_patched() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark", "redis-cli", "tcpdump", "timeout");
    String mode = System.getProperty("portolan.test.rewrite", "aware");
    Path dir = Files.createTempDirectory("portolan-np-capture");
    try (TestBed bed = bed(mode)) {
      NetworkPolicyEnforcer enforcer = new NetworkPolicyEnforcer(bed, PODS);
      redisServer(bed);

      // Phase 1, traffic first (with rewrite=always this is where it breaks): meshed clients keep
      // mTLS on 6379; the unmeshed one talks plaintext to 6379. The policies were in the
      // manifests before any proxy asked, so there is nothing to wait for.
      Path first = dir.resolve("before.pcap");
      try (JavaProcess capture = capture(bed, first)) {
        String bench = benchmark(bed, "client");
        assertThat(bench)
            .contains("PING_INLINE:", "SET:", "GET:")
            .doesNotContainIgnoringCase("error");
        assertThat(redisCli(bed, "egress")).isEqualTo("PONG");
        assertThat(redisCli(bed, "outsider")).isEqualTo("PONG");
        stop(capture, first);
      }
      assertThat(enforcer.dropped("redis")).as("nothing black-holed").isZero();
      assertThat(bed.pod("client").metrics()).doesNotContain("outbound_tls_refused_total");
      assertThat(enforcer.dropped("egress")).as("the egress client never tried 4143").isZero();
      Wire before = Wire.of(Pcap.read(first), REDIS_IP);
      System.out.println("before the patch: " + before);
      assertThat(before.meshed(6379, CLIENT_IP).segments()).isPositive();
      assertThat(before.meshed(6379, CLIENT_IP).tlsOnly()).isTrue();
      assertThat(before.meshed(6379, EGRESS_IP).tlsOnly()).isTrue();
      assertThat(before.clear(CLIENT_IP) + before.clear(EGRESS_IP)).isZero();
      assertThat(before.clear(OUTSIDER_IP)).as("the unmeshed client is plaintext").isPositive();
      assertThat(before.meshed(4143, CLIENT_IP).segments()).isZero();

      // Then the conflict: on the actuator with a patch, and on the gauge.
      JsonNode conflict =
          await().atMost(Duration.ofSeconds(30)).until(() -> ingressConflict(bed), c -> c != null);
      System.out.println("conflict: " + conflict.toPrettyString());
      assertThat(conflict.path("port").asInt()).isEqualTo(6379);
      assertThat(conflict.path("inboundPort").asInt()).isEqualTo(4143);
      assertThat(conflict.path("clients").toString()).contains("bed/client");
      String patch = conflict.path("patch").asString();
      assertThat(patch).contains("kind: \"NetworkPolicy\"").contains("4143");
      assertThat(actuator(bed, "prometheus"))
          .containsPattern("(?m)^portolan_networkpolicy_conflicts(\\{[^}]*})? [1-9]");
      // ... and as a Warning Event on the policy: the bed runs the manifests source, which lists
      // the Events it would write to Kubernetes on /actuator/events.
      JsonNode event =
          await().atMost(Duration.ofSeconds(30)).until(() -> policyEvent(bed), e -> e != null);
      System.out.println("event: " + event.toPrettyString());
      assertThat(event.path("type").asString()).isEqualTo("Warning");
      assertThat(event.path("involvedObject").path("kind").asString()).isEqualTo("NetworkPolicy");
      assertThat(event.path("involvedObject").path("apiVersion").asString())
          .isEqualTo("networking.k8s.io/v1");
      assertThat(event.path("involvedObject").path("namespace").asString()).isEqualTo("bed");
      assertThat(event.path("message").asString()).contains("4143", "6379");
      assertThat(event.path("count").asInt()).isEqualTo(1);

      // Phase 2: the operator applies the printed patch; the open stream moves the client to 4143.
      Path second = dir.resolve("after.pcap");
      long switchMs;
      try (JavaProcess capture = capture(bed, second)) {
        enforcer.apply("np-redis.yaml", patch);
        long t0 = System.nanoTime();
        // Every connection during the switch must work: the client never sees a gap.
        await()
            .atMost(Duration.ofSeconds(30))
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(5))
            .until(() -> {
              assertThat(redisCli(bed, "client")).isEqualTo("PONG");
              return enforcer.accepted("redis", 4143) > 0;
            });
        switchMs = (System.nanoTime() - t0) / 1_000_000;
        String bench = benchmark(bed, "client");
        assertThat(bench).contains("PING_INLINE:").doesNotContainIgnoringCase("error");
        assertThat(redisCli(bed, "egress")).isEqualTo("PONG");
        assertThat(redisCli(bed, "outsider")).isEqualTo("PONG");
        stop(capture, second);
      }
      System.out.printf(
          "patch applied: the client's first connection to 4143 %d ms after the file was"
              + " written%n",
          switchMs);
      Wire after = Wire.of(Pcap.read(second), REDIS_IP);
      System.out.println("after the patch: " + after);
      assertThat(after.meshed(4143, CLIENT_IP).segments()).isPositive();
      assertThat(after.meshed(4143, CLIENT_IP).tlsOnly()).isTrue();
      assertThat(after.clear(CLIENT_IP) + after.clear(EGRESS_IP)).isZero();
      // The egress client's own policy still refuses 4143: no rewrite, still mTLS on 6379.
      assertThat(after.meshed(4143, EGRESS_IP).segments()).isZero();
      assertThat(after.meshed(6379, EGRESS_IP).segments()).isPositive();
      assertThat(after.meshed(6379, EGRESS_IP).tlsOnly()).isTrue();
      assertThat(enforcer.dropped("egress")).isZero();
      assertThat(after.clear(OUTSIDER_IP)).isPositive();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(ingressConflict(bed)).isNull());
      // What is left is the egress client's own policy refusing 4143.
      String report = actuator(bed, "networkpolicy");
      System.out.println("after the patch: " + report);
      JsonNode left = JSON.readTree(report).path("conflicts");
      assertThat(left).hasSize(1);
      assertThat(left.get(0).path("direction").asString()).isEqualTo("egress");
      assertThat(left.get(0).path("policy").path("name").asString()).isEqualTo("egress");
      assertThat(left.get(0).path("clients").toString()).contains("bed/egress");
    }
  }

  /** The ingress conflict on redis's policy, or null. */
  static JsonNode ingressConflict(TestBed bed) throws Exception {
    for (JsonNode c : JSON.readTree(actuator(bed, "networkpolicy")).path("conflicts")) {
      if (c.path("direction").asString().equals("ingress")
          && c.path("policy").path("name").asString().equals("redis")) {
        return c;
      }
    }
    return null;
  }

  /** The Warning Event on redis's policy about withholding the rewrite, or null. */
  static JsonNode policyEvent(TestBed bed) throws Exception {
    for (JsonNode e : JSON.readTree(actuator(bed, "events")).path("events")) {
      if (e.path("reason").asString().equals("NetworkPolicyBlocksInboundPort")
          && e.path("involvedObject").path("name").asString().equals("redis")) {
        return e;
      }
    }
    return null;
  }

  static String actuator(TestBed bed, String path) {
    return bed.node()
        .run("curl", "-s", "--max-time", "5", "http://127.0.0.1:8080/actuator/" + path);
  }

  static void redisServer(TestBed bed) throws InterruptedException {
    Redis.server(bed, "redis", 6379);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() ->
            bed.pod("redis").run("curl", "-s", "http://127.0.0.1:4191/ready").equals("ready\n"));
  }

  static String benchmark(TestBed bed, String pod) {
    Sh.Result r =
        inPod(
            bed,
            pod,
            "timeout",
            "60",
            "redis-benchmark",
            "-h",
            REDIS_IP,
            "-p",
            "6379",
            "-n",
            "2000",
            "-c",
            "10",
            "-t",
            "ping,set,get",
            "-q");
    String out = r.output().replace('\r', '\n');
    System.out.println("redis-benchmark from " + pod + " (exit " + r.exit() + "):\n" + out);
    if (r.exit() != 0) {
      diagnose(bed, pod);
    }
    return out;
  }

  static String redisCli(TestBed bed, String pod) {
    Sh.Result r =
        inPod(bed, pod, "timeout", "10", "redis-cli", "-h", REDIS_IP, "-p", "6379", "PING");
    if (!r.output().strip().equals("PONG")) {
      System.out.println("redis-cli from " + pod + " (exit " + r.exit() + "): " + r.output());
      diagnose(bed, pod);
    }
    return r.output().strip();
  }

  /** What each side saw, printed before a failing assertion. */
  static void diagnose(TestBed bed, String pod) {
    JavaProcess client = bed.pod(pod).proxy();
    System.out.println(
        (client == null
                ? ""
                : "proxy of " + pod + ":\n" + bed.pod(pod).metrics() + "\n" + client.output())
            + "\nproxy of redis:\n"
            + bed.pod("redis").metrics()
            + "\n"
            + bed.pod("redis").proxy().output()
            + "\n"
            + bed.node().run("iptables", "-w", "-L", "-v", "-n", "-x"));
  }

  static Sh.Result inPod(TestBed bed, String pod, String... cmd) {
    List<String> all = new ArrayList<>(bed.pod(pod).ns().exec());
    all.addAll(List.of(cmd));
    return Sh.tryRun(all);
  }

  /** tcpdump on the node's end of redis's veth: what the network delivered to the pod. */
  static JavaProcess capture(TestBed bed, Path pcap) throws InterruptedException {
    List<String> cmd = new ArrayList<>(bed.node().exec());
    cmd.addAll(
        List.of(
            "tcpdump",
            "-i",
            bed.veth("redis"),
            "-U",
            "-n",
            "-Z",
            "root",
            "-w",
            pcap.toString(),
            "tcp"));
    JavaProcess p = JavaProcess.command(cmd, Map.of());
    p.awaitContaining("listening on");
    return p;
  }

  /**
   * Stops a capture once it has written the unmeshed client's last PING (the last thing each phase
   * does): tcpdump drops what it has not read yet when it is told to stop.
   */
  static void stop(JavaProcess capture, Path pcap) throws InterruptedException {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() ->
            Files.size(pcap) > 24 && Wire.of(Pcap.read(pcap), REDIS_IP).clear(OUTSIDER_IP) >= 2);
    Sh.run("kill", "-TERM", Long.toString(capture.pid()));
    capture.awaitContaining("packets captured");
  }
}
