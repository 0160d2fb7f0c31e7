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
 * Identity on, captures on the server pods' eth0 (docs/design/outbound.md, docs/design/inbound.md):
 * HTTP between two meshed pods, to the pod and to its Service, is mesh TLS on the application port
 * itself (ClientHellos to 8080, no request in the clear, no use of 4143), and the app sees the
 * verified {@code l5d-client-id} instead of the forged one. Both proxies' metrics name the peer's
 * identity.
 */
class HttpOverMeshTlsTest {
  static final String CLIENT_IP = "10.244.77.160";
  static final String WEB_IP = "10.244.77.161";
  static final String WEB_CLUSTER_IP = "10.96.77.160";
  static final String CLIENT_ID = "client.bed.serviceaccount.identity.portolan.cluster.local";
  static final String WEB_ID = "web.bed.serviceaccount.identity.portolan.cluster.local";

  @Test
  void http_between_meshed_pods_is_mtls_on_the_app_port_with_the_verified_client_id()
      throws Exception {
    Sh.assumeRootWith("nginx", "curl", "tcpdump");
    Path dir = Files.createTempDirectory("portolan-http-mtls-capture");
    try (TestBed bed =
        new TestBed()
            .identity(true)
            .pod("client", CLIENT_IP, true, "", "")
            .pod("web", WEB_IP, true, "", "{name: http, containerPort: 8080}")
            .service("web", "web", WEB_CLUSTER_IP, 80, 8080)
            .start()) {
      Nginx.start(bed, "web", "client-id=[$http_l5d_client_id]", 100);
      // Warm-up, before the capture: a destination whose first discovery answer is slower than
      // the proxy's first-answer wait is forwarded as it came (docs/design/outbound.md), which a
      // freshly started bed on a busy machine can hit. Waited for until discovery has answered.
      for (String url : List.of("http://" + WEB_IP + ":8080/", "http://" + WEB_CLUSTER_IP + "/")) {
        await()
            .atMost(Duration.ofSeconds(60))
            .untilAsserted(() ->
                assertThat(curl(bed, url).strip()).isEqualTo("client-id=[" + CLIENT_ID + "]"));
      }
      Path webPcap = dir.resolve("web.pcap");
      JavaProcess webCapture = capture(bed, "web", webPcap);

      // A request that closes its connection: the client proxy does not pool that upstream, so
      // the next request dials anew and its ClientHello is in the capture.
      assertThat(
              bed.pod("client")
                  .run(
                      "curl",
                      "-s",
                      "--max-time",
                      "10",
                      "-H",
                      "Connection: close",
                      "http://" + WEB_IP + ":8080/close")
                  .strip())
          .isEqualTo("client-id=[" + CLIENT_ID + "]");
      // HTTP/1 from a meshed pod, to the pod and to its Service, with a forged l5d-client-id.
      for (String url : List.of("http://" + WEB_IP + ":8080/", "http://" + WEB_CLUSTER_IP + "/")) {
        for (int i = 0; i < 3; i++) {
          String body = curl(bed, url + "?n=" + i);
          assertThat(body.strip()).as(url).isEqualTo("client-id=[" + CLIENT_ID + "]");
        }
      }
      Pcap web = stop(webCapture, webPcap);

      // HTTP: TLS to the application port, nothing readable, nothing through 4143.
      List<Pcap.Segment> toWeb = to(web, WEB_IP, 8080);
      long webHellos = toWeb.stream().filter(s -> s.startsWith(0x16, 0x03, 0x01)).count();
      long webAppData =
          web.segments().stream()
              .filter(s -> s.payload().length > 0 && s.startsWith(0x17, 0x03, 0x03))
              .count();
      long webClear =
          web.segments().stream()
              .filter(s -> s.contains("GET /") || s.contains("HTTP/1.1") || s.contains("client-id"))
              .count();
      System.out.printf(
          "capture on web eth0: %d segments, %d to 8080, %d ClientHellos, %d TLS application-data"
              + " records, %d to 4143, %d with HTTP in the clear%n",
          web.segments().size(),
          toWeb.size(),
          webHellos,
          webAppData,
          to(web, WEB_IP, 4143).size(),
          webClear);
      assertThat(webHellos).as("ClientHellos to 8080").isPositive();
      assertThat(webAppData).as("TLS application-data records").isPositive();
      assertThat(webClear).as("segments with HTTP in the clear").isZero();
      assertThat(to(web, WEB_IP, 4143)).as("HTTP does not use the opaque transport").isEmpty();

      // Both identities in the metrics.
      String client = bed.pod("client").metrics();
      assertThat(client)
          .contains(
              "http_upstream_open_total{direction=\"outbound\",endpoint=\""
                  + WEB_IP
                  + ":8080\",protocol=\"http/1\",tls=\"true\",server_id=\""
                  + WEB_ID
                  + "\"}")
          .doesNotContain("outbound_tls_refused_total");
      assertThat(bed.pod("web").metrics())
          .contains(
              "tcp_open_total{direction=\"inbound\",target_addr=\""
                  + WEB_IP
                  + ":8080\",peer=\"src\",tls=\"true\",client_id=\""
                  + CLIENT_ID
                  + "\"}")
          .contains("inbound_app_port_tls_total{result=\"mesh_tls\"}");
    }
  }

  /** A request from the client pod that forges {@code l5d-client-id}. */
  private static String curl(TestBed bed, String url) {
    return bed.pod("client")
        .run("curl", "-s", "--max-time", "10", "-H", "l5d-client-id: spoofed", url);
  }

  private static JavaProcess capture(TestBed bed, String pod, Path file) throws Exception {
    JavaProcess p =
        bed.background(
            pod,
            "tcpdump",
            "-i",
            "eth0",
            "-U",
            // Each packet handed over at once: a few requests would otherwise sit in the capture
            // ring's current block when tcpdump is stopped, and be lost.
            "--immediate-mode",
            "-n",
            "-Z",
            "root",
            "-w",
            file.toString(),
            "tcp and net 10.244.77.0/24");
    p.awaitContaining("listening on eth0");
    return p;
  }

  private static Pcap stop(JavaProcess capture, Path file) throws Exception {
    Sh.run("kill", "-TERM", Long.toString(capture.pid()));
    capture.awaitContaining("packets captured");
    return Pcap.read(file);
  }

  private static List<Pcap.Segment> to(Pcap wire, String ip, int port) {
    return wire.segments().stream().filter(s -> s.dst().equals(ip) && s.dstPort() == port).toList();
  }
}
