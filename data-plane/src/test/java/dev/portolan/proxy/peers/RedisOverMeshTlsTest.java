package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Identity on: redis-benchmark from a meshed client pod to a meshed redis pod (6379, a default
 * opaque port) goes through the redis pod's inbound port 4143 under mesh TLS with the transport
 * header (docs/proxy.md, <i>mTLS and the 4143 transport</i>). A capture on the redis pod's eth0
 * proves what was on the wire: TCP to 4143 carrying TLS records, nothing to 6379, no Redis command
 * in the clear. Then clients that are not a meshed proxy are refused on 4143, each reason counted.
 */
class RedisOverMeshTlsTest {
  static final String CLIENT_IP = "10.244.77.10";
  static final String REDIS_IP = "10.244.77.11";
  static final String OUTSIDER_IP = "10.244.77.12";
  static final String CLUSTER_IP = "10.96.77.10";
  static final String REDIS_ID = "redis.bed.serviceaccount.identity.portolan.cluster.local";
  static final String CLIENT_ID = "client.bed.serviceaccount.identity.portolan.cluster.local";
  static final String OUTSIDER_ID = "outsider.bed.serviceaccount.identity.portolan.cluster.local";

  @Test
  void redis_benchmark_goes_through_4143_under_mtls_and_strangers_are_refused() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark", "tcpdump", "openssl");
    Path dir = Files.createTempDirectory("portolan-mtls-capture");
    Path pcap = dir.resolve("redis.pcap");
    try (TestBed bed =
        new TestBed()
            .identity(true)
            .pod("client", CLIENT_IP, true, "", "")
            .pod(
                "redis",
                REDIS_IP,
                true,
                "config.linkerd.io/skip-inbound-ports: \"7000\"",
                "{name: redis, containerPort: 6379}")
            .pod("outsider", OUTSIDER_IP, false, "", "")
            .service("redis", "redis", CLUSTER_IP, 6379, 6379)
            .start()) {
      Redis.server(bed, "redis", 6379);
      assertThat(bed.pod("redis").run("curl", "-s", "http://127.0.0.1:4191/ready"))
          .isEqualTo("ready\n");

      JavaProcess capture =
          bed.background(
              "redis",
              "tcpdump",
              "-i",
              "eth0",
              "-U",
              "-n",
              "-Z",
              "root",
              "-w",
              pcap.toString(),
              "tcp and net 10.244.77.0/24");
      capture.awaitContaining("listening on eth0");

      for (String host : new String[] {CLUSTER_IP, REDIS_IP}) {
        Redis.benchmark(bed, "client", host, 6379, 2000);
      }

      Sh.run("kill", "-TERM", Long.toString(capture.pid()));
      capture.awaitContaining("packets captured");
      Pcap wire = Pcap.read(pcap);
      List<Pcap.Segment> toTransport =
          wire.segments().stream()
              .filter(s -> s.dst().equals(REDIS_IP) && s.dstPort() == 4143)
              .toList();
      List<Pcap.Segment> withPayload =
          wire.segments().stream().filter(s -> s.payload().length > 0).toList();
      long appData = withPayload.stream().filter(s -> s.startsWith(0x17, 0x03, 0x03)).count();
      long hellos = toTransport.stream().filter(s -> s.startsWith(0x16, 0x03, 0x01)).count();
      long toRedisPort =
          wire.segments().stream().filter(s -> s.dstPort() == 6379 || s.srcPort() == 6379).count();
      long clear =
          withPayload.stream()
              .filter(s ->
                  s.contains("PING\r\n")
                      || s.contains("SET\r\n")
                      || s.contains("GET\r\n")
                      || s.contains("__rand_int__")
                      || s.contains("+PONG"))
              .count();
      long bytesTo4143 = toTransport.stream().mapToLong(s -> s.payload().length).sum();
      System.out.printf(
          "capture on redis eth0: %d segments, %d to 4143 (%d payload bytes), %d ClientHellos,"
              + " %d starting a TLS application-data record, %d to or from 6379, %d with Redis"
              + " commands in the clear%n",
          wire.segments().size(),
          toTransport.size(),
          bytesTo4143,
          hellos,
          appData,
          toRedisPort,
          clear);
      assertThat(toTransport).isNotEmpty();
      assertThat(hellos).as("TLS ClientHellos to 4143").isPositive();
      assertThat(appData).as("TLS application-data records").isPositive();
      assertThat(toRedisPort).as("segments to or from 6379 on the wire").isZero();
      assertThat(clear).as("segments with Redis commands in the clear").isZero();

      String client = bed.pod("client").metrics();
      String redis = bed.pod("redis").metrics();
      assertThat(client)
          .contains(
              "tcp_open_total{direction=\"outbound\",target_addr=\""
                  + REDIS_IP
                  + ":6379\",peer=\"src\",tls=\"true\",server_id=\""
                  + REDIS_ID
                  + "\"}")
          .doesNotContain("outbound_tls_refused_total");
      assertThat(redis)
          .contains(
              "tcp_open_total{direction=\"inbound\",target_addr=\""
                  + REDIS_IP
                  + ":6379\",peer=\"src\",tls=\"true\",client_id=\""
                  + CLIENT_ID
                  + "\"}")
          .doesNotContain("inbound_transport_refused_total");

      // Strangers on 4143, from a pod without a proxy.
      outsider(bed, "curl", "-s", "--max-time", "5", "http://" + REDIS_IP + ":4143/");
      outsider(
          bed,
          "sh",
          "-c",
          "printf 'PING\\r\\n' | timeout 10 openssl s_client -quiet -tls1_3 -alpn"
              + " transport.l5d.io/v1 -connect "
              + REDIS_IP
              + ":4143");
      // A client with a real certificate: served with no name, refused with one, with 4191 or with
      // a skipped port.
      assertThat(meshClient(bed, 6379, "")).contains("received +PONG");
      assertThat(meshClient(bed, 6379, "gw.example.com")).doesNotContain("received");
      assertThat(meshClient(bed, 4191, "")).doesNotContain("received");
      assertThat(meshClient(bed, 7000, "")).doesNotContain("received");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() ->
              assertThat(bed.pod("redis").metrics())
                  .contains("inbound_transport_refused_total{reason=\"plaintext\"} 1")
                  .contains("inbound_transport_refused_total{reason=\"no_client_cert\"} 1")
                  .contains("inbound_transport_refused_total{reason=\"header_name\"} 1")
                  .contains("inbound_transport_refused_total{reason=\"proxy_port\"} 1")
                  .contains("inbound_transport_refused_total{reason=\"skipped_port\"} 1"));
      assertThat(bed.pod("redis").metrics())
          .contains(
              "tcp_open_total{direction=\"inbound\",target_addr=\""
                  + REDIS_IP
                  + ":6379\",peer=\"src\",tls=\"true\",client_id=\""
                  + OUTSIDER_ID
                  + "\"} 1");
      System.out.println(bed.pod("redis").metrics());
    }
  }

  /** {@link MeshTransportClient} in the pod without a proxy, certified as its ServiceAccount. */
  private static String meshClient(TestBed bed, int port, String name) throws Exception {
    JavaProcess p =
        bed.javaIn(
            "outsider",
            MeshTransportClient.class,
            TestBed.NODE_IP + ":8086",
            bed.identityDir().resolve("outsider.token").toString(),
            bed.identityDir().resolve("trust-anchor.pem").toString(),
            OUTSIDER_ID,
            REDIS_ID,
            REDIS_IP,
            Integer.toString(port),
            name);
    p.awaitLine("closed");
    System.out.println("mesh client, header port " + port + " name '" + name + "':\n" + p.output());
    return p.output();
  }

  /** A command in the pod without a proxy; its failure is expected (it is being refused). */
  private static void outsider(TestBed bed, String... cmd) {
    List<String> all = new java.util.ArrayList<>(bed.pod("outsider").ns().exec());
    all.addAll(List.of(cmd));
    System.out.println("outsider " + String.join(" ", cmd) + ": " + Sh.tryRun(all));
  }
}
