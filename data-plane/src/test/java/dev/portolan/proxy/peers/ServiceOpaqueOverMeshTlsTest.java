package dev.portolan.proxy.peers;

import static dev.portolan.proxy.peers.TcpAfterDetectionOverMeshTlsTest.capture;
import static dev.portolan.proxy.peers.TcpAfterDetectionOverMeshTlsTest.openTotal;
import static dev.portolan.proxy.peers.TcpAfterDetectionOverMeshTlsTest.stop;
import static dev.portolan.proxy.peers.TcpAfterDetectionOverMeshTlsTest.wireIsTls;
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
 * Identity on, Redis on 6380 made opaque only by its Service's {@code
 * config.linkerd.io/opaque-ports} (the Pod is not annotated, 6380 is not a default opaque port).
 * The client proxy takes the port as opaque from the Service's profile (no detection on the way
 * out); the endpoint carries no {@code opaque_transport}, since the Pod's own rules leave the port
 * to detection, so the client proxy dials mesh TLS to 6380 itself, and the server's proxy
 * terminates it (its own identity in the ClientHello) and detects the decrypted Redis bytes as TCP
 * (docs/identity.md, "A port opaque only through its Service annotation"). redis-benchmark runs
 * through the ClusterIP with 10 and 50 clients; a capture on the redis pod's eth0 shows TLS only,
 * to 6380, nothing to 4143.
 */
class ServiceOpaqueOverMeshTlsTest {
  static final String CLIENT_IP = "10.244.77.180";
  static final String REDIS_IP = "10.244.77.181";
  static final String CLUSTER_IP = "10.96.77.180";
  static final String CLIENT_ID = "client.bed.serviceaccount.identity.portolan.cluster.local";
  static final String REDIS_ID = "redis.bed.serviceaccount.identity.portolan.cluster.local";

  @Test
  void a_service_only_opaque_port_is_mtls_to_the_app_port_between_meshed_pods() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark", "tcpdump");
    Path dir = Files.createTempDirectory("portolan-svc-opaque-capture");
    try (TestBed bed =
        new TestBed()
            .identity(true)
            .pod("client", CLIENT_IP, true, "", "")
            .pod("redis", REDIS_IP, true, "", "{name: redis, containerPort: 6380}")
            .service(
                "redis",
                "redis",
                CLUSTER_IP,
                6380,
                6380,
                "config.linkerd.io/opaque-ports: \"6380\"")
            .start()) {
      Redis.server(bed, "redis", 6380);
      // Warm-up until discovery has answered with the endpoint's identity (a first answer that is
      // late leaves that connection as it came).
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .untilAsserted(() -> {
            Redis.benchmark(bed, "client", CLUSTER_IP, 6380, 20);
            assertThat(bed.pod("client").metrics()).contains("server_id=\"" + REDIS_ID + "\"");
          });

      Path pcap = dir.resolve("redis.pcap");
      JavaProcess capture = capture(bed, "redis", pcap);
      Redis.benchmark(bed, "client", CLUSTER_IP, 6380, 2000);
      String fifty =
          bed.pod("client")
              .run(
                  "redis-benchmark",
                  "-h",
                  CLUSTER_IP,
                  "-p",
                  "6380",
                  "-n",
                  "2000",
                  "-c",
                  "50",
                  "-t",
                  "set,get",
                  "-q")
              .replace('\r', '\n');
      System.out.println("redis-benchmark -c 50:\n" + fifty);
      assertThat(fifty).contains("SET:").contains("GET:").doesNotContainIgnoringCase("error");
      Pcap wire = stop(capture, pcap);
      wireIsTls(wire, REDIS_IP, 6380, List.of("PING\r\n", "SET\r\n", "__rand_int__", "+PONG"));

      String client = bed.pod("client").metrics();
      assertThat(client)
          // The ClusterIP the app dialled is the target; the endpoint behind it named the identity.
          .contains(openTotal("outbound", CLUSTER_IP + ":6380", "server_id", REDIS_ID))
          // Opaque by the Service's profile: the client proxy never detected.
          .doesNotContain("outbound_tcp_detect_results_total{result=\"tcp\"}")
          .doesNotContain("outbound_tls_refused_total");
      String redis = bed.pod("redis").metrics();
      assertThat(redis)
          .contains(openTotal("inbound", REDIS_IP + ":6380", "client_id", CLIENT_ID))
          .contains("inbound_tcp_detect_results_total{result=\"tcp\"}");
    }
  }
}
