package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Allowing 4143 opens nothing else (docs/design/networkpolicy.md, <i>The tunnel keeps the port
 * rules</i>). A NetworkPolicy lets client A reach redis on 6379 and 4143, and client B (and the
 * unmeshed pod raw-b) only 8080 and 4143. A's redis-benchmark through its proxy is served through
 * 4143; B's connection naming 6379 is refused by the redis pod's proxy — once as B's own proxy
 * sends it (the control plane rewrites B to 4143, which B may reach), once from a raw mTLS client
 * speaking the transport header (a client proxy that ignores any hint) — each counted {@code
 * inbound_transport_refused_total{reason="networkpolicy"}}, and redis never sees a connection from
 * either. A plaintext connection from raw-b straight to 6379 is refused the same way on the app
 * port ({@code inbound_refused_total{reason="networkpolicy"}}).
 *
 * <p>There is no kernel NetworkPolicy enforcer in this bed (another test bed builds one): every
 * packet is delivered, so what is tested is the server proxy's own check of the tunnelled port
 * against the policy, the part no network enforcer can do (it sees only 4143).
 */
class TunnelKeepsPortRulesTest {
  static final String A_IP = "10.244.77.30";
  static final String B_IP = "10.244.77.31";
  static final String RAW_IP = "10.244.77.32";
  static final String REDIS_IP = "10.244.77.33";
  static final String REDIS_ID = "redis.bed.serviceaccount.identity.portolan.cluster.local";
  static final String RAW_ID = "raw-b.bed.serviceaccount.identity.portolan.cluster.local";

  static final String POLICY =
      """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: redis, namespace: bed}
      spec:
        podSelector:
          matchLabels: {app: redis}
        policyTypes: [Ingress]
        ingress:
          - from: [{podSelector: {matchLabels: {app: client-a}}}]
            ports: [{port: 6379}, {port: 4143}]
          - from:
              - podSelector: {matchLabels: {app: client-b}}
              - podSelector: {matchLabels: {app: raw-b}}
            ports: [{port: 8080}, {port: 4143}]
      """;

  @Test
  void a_client_allowed_only_4143_and_another_port_cannot_tunnel_to_6379() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark", "redis-cli");
    try (TestBed bed =
        new TestBed()
            .identity(true)
            .pod("client-a", A_IP, true, "", "")
            .pod("client-b", B_IP, true, "", "")
            .pod("raw-b", RAW_IP, false, "", "")
            .pod(
                "redis",
                REDIS_IP,
                true,
                "",
                "{name: redis, containerPort: 6379}, {name: http, containerPort: 8080}")
            .manifest(POLICY)
            .start()) {
      Redis.server(bed, "redis", 6379);

      // A: allowed 6379 and 4143, through its proxy and the tunnel.
      Redis.benchmark(bed, "client-a", REDIS_IP, 6379, 2000);
      long before = connectionsReceived(bed);

      // B through its own proxy, rewritten to 4143 naming 6379.
      String viaProxy = run(bed, "client-b", "timeout", "10", "redis-cli", "-h", REDIS_IP, "PING");
      assertThat(viaProxy).doesNotContain("PONG");
      // B's connection, from a client that ignores every hint: mTLS to 4143, header names 6379.
      String raw = rawTunnel(bed);
      assertThat(raw).contains("established").doesNotContain("received").contains("closed");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() ->
              assertThat(bed.pod("redis").metrics())
                  .contains("inbound_transport_refused_total{reason=\"networkpolicy\"} 2"));

      // raw-b in plaintext straight to the app port: the same rule, on 6379 itself.
      String plain = run(bed, "raw-b", "timeout", "10", "redis-cli", "-h", REDIS_IP, "PING");
      assertThat(plain).doesNotContain("PONG");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() ->
              assertThat(bed.pod("redis").metrics())
                  .contains("inbound_refused_total{reason=\"networkpolicy\"} 1"));

      // Nothing reached redis: the only new connection is this INFO's own.
      assertThat(connectionsReceived(bed)).isEqualTo(before + 1);
      String metrics = bed.pod("redis").metrics();
      System.out.println(metrics);
      assertThat(metrics)
          .doesNotContain("refused_total{reason=\"unauthorized\"}")
          .contains(
              "tcp_open_total{direction=\"inbound\",target_addr=\""
                  + REDIS_IP
                  + ":6379\",peer=\"src\",tls=\"true\",client_id=\""
                  + "client-a.bed.serviceaccount.identity.portolan.cluster.local\"}");
      assertThat(bed.pod("redis").proxy().output())
          .contains("refused (networkpolicy)")
          .contains("NetworkPolicy bed/redis does not allow its address on that port");
    }
  }

  /** redis' own count of accepted connections, asked on its loopback (no proxy in the way). */
  private static long connectionsReceived(TestBed bed) {
    String info = bed.pod("redis").run("redis-cli", "-h", "127.0.0.1", "INFO", "stats");
    Matcher m = Pattern.compile("total_connections_received:(\\d+)").matcher(info);
    assertThat(m.find()).as(info).isTrue();
    return Long.parseLong(m.group(1));
  }

  /** A command that is expected to fail (it is being refused): its output, whatever the exit. */
  private static String run(TestBed bed, String pod, String... cmd) {
    List<String> all = new ArrayList<>(bed.pod(pod).ns().exec());
    all.addAll(List.of(cmd));
    String out = Sh.tryRun(all).output();
    System.out.println(pod + " " + String.join(" ", cmd) + ": " + out);
    return out;
  }

  /** {@link MeshTransportClient} in raw-b (no proxy), certified as raw-b, header port 6379. */
  private static String rawTunnel(TestBed bed) throws Exception {
    JavaProcess p =
        bed.javaIn(
            "raw-b",
            MeshTransportClient.class,
            TestBed.NODE_IP + ":8086",
            bed.identityDir().resolve("raw-b.token").toString(),
            bed.identityDir().resolve("trust-anchor.pem").toString(),
            RAW_ID,
            REDIS_ID,
            REDIS_IP,
            "6379",
            "");
    p.awaitLine("closed");
    System.out.println("raw mTLS client naming 6379:\n" + p.output());
    return p.output();
  }
}
