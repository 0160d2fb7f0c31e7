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
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Identity on, ports that are not opaque (docs/proxy.md, "Detection and server-speaks-first"):
 * between meshed pods, a connection that detection leaves as TCP is mesh TLS to the endpoint's own
 * port, as an opaque one is. Redis on 6380 (client-first, not HTTP: detected as TCP) and an SMTP
 * server on 2525 (server-first: won by the race, which dials under TLS before anyone spoke). A
 * capture on each server pod's eth0 shows ClientHellos to the app port and no command or greeting
 * in the clear; both proxies' metrics name the peer's identity.
 */
class TcpAfterDetectionOverMeshTlsTest {
  static final String CLIENT_IP = "10.244.77.170";
  static final String REDIS_IP = "10.244.77.171";
  static final String SMTP_IP = "10.244.77.172";
  static final String CLIENT_ID = "client.bed.serviceaccount.identity.portolan.cluster.local";
  static final String REDIS_ID = "redis.bed.serviceaccount.identity.portolan.cluster.local";
  static final String SMTP_ID = "smtp.bed.serviceaccount.identity.portolan.cluster.local";

  @Test
  void tcp_and_server_first_after_detection_are_mtls_between_meshed_pods() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark", "tcpdump", "smtpd", "swaks");
    Path dir = Files.createTempDirectory("portolan-tcp-mtls-capture");
    Path conf = dir.resolve("smtpd.conf");
    Files.writeString(
        conf,
        """
        listen on 0.0.0.0 port 2525
        action "relay" relay
        match from any for any action "relay"
        """);
    try (TestBed bed =
        new TestBed()
            .identity(true)
            .proxyEnv(Map.of("PORTOLAN_LOG_LEVEL", "debug"))
            .pod("client", CLIENT_IP, true, "", "")
            .pod("redis", REDIS_IP, true, "", "{name: redis, containerPort: 6380}")
            .pod("smtp", SMTP_IP, true, "", "{name: smtp, containerPort: 2525}")
            .start()) {
      Redis.server(bed, "redis", 6380);
      JavaProcess smtpd = bed.background("smtp", "smtpd", "-d", "-f", conf.toString());
      smtpd.awaitContaining("starting");
      // Warm-up until discovery has answered with the endpoints' identities (a destination whose
      // first answer is late is forwarded as it came): the client proxy then names the server. A
      // failed run is retried: on a loaded machine a ClientHello can reach the server's proxy after
      // its peek window (docs/proxy.md, "mTLS on the application port") and that connection fails.
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .untilAsserted(() -> {
            Redis.benchmark(bed, "client", REDIS_IP, 6380, 20);
            assertThat(bed.pod("client").metrics()).contains("server_id=\"" + REDIS_ID + "\"");
          });
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .untilAsserted(() -> {
            assertThat(greeting(bed, SMTP_IP, 2525)).startsWith("220");
            assertThat(bed.pod("client").metrics()).contains("server_id=\"" + SMTP_ID + "\"");
          });

      Path redisPcap = dir.resolve("redis.pcap");
      Path smtpPcap = dir.resolve("smtp.pcap");
      JavaProcess redisCapture = capture(bed, "redis", redisPcap);
      Redis.benchmark(bed, "client", REDIS_IP, 6380, 2000);
      Pcap redis = stop(redisCapture, redisPcap);
      JavaProcess smtpCapture = capture(bed, "smtp", smtpPcap);
      String swaks =
          bed.pod("client")
              .run(
                  "swaks",
                  "--server",
                  SMTP_IP + ":2525",
                  "--quit-after",
                  "EHLO",
                  "--ehlo",
                  "client.test");
      assertThat(swaks).contains("<-  220").contains("<-  250");
      Pcap smtp = stop(smtpCapture, smtpPcap);

      wireIsTls(redis, REDIS_IP, 6380, List.of("PING\r\n", "SET\r\n", "__rand_int__", "+PONG"));
      wireIsTls(smtp, SMTP_IP, 2525, List.of("220 ", "EHLO", "client.test"));

      String client = bed.pod("client").metrics();
      assertThat(client)
          .contains(openTotal("outbound", REDIS_IP + ":6380", "server_id", REDIS_ID))
          .contains(openTotal("outbound", SMTP_IP + ":2525", "server_id", SMTP_ID))
          .contains("outbound_tcp_detect_results_total{result=\"tcp\"}")
          .contains("outbound_tcp_detect_results_total{result=\"server_first\"}");
      // Refused handshakes, if any, are the loaded machine's late ClientHellos (the server's proxy
      // relayed them past its peek window): never a verification that let a wrong peer through.
      assertThat(client.lines().filter(l -> l.startsWith("outbound_tls_refused_total{")))
          .allMatch(l -> l.contains("reason=\"handshake\""));
      assertThat(bed.pod("redis").metrics())
          .contains(openTotal("inbound", REDIS_IP + ":6380", "client_id", CLIENT_ID));
      assertThat(bed.pod("smtp").metrics())
          .contains(openTotal("inbound", SMTP_IP + ":2525", "client_id", CLIENT_ID));
    } finally {
      Files.deleteIfExists(conf);
    }
  }

  static String openTotal(String direction, String target, String idKey, String id) {
    return "tcp_open_total{direction=\""
        + direction
        + "\",target_addr=\""
        + target
        + "\",peer=\"src\",tls=\"true\","
        + idKey
        + "=\""
        + id
        + "\"}";
  }

  /** TLS to the app port itself: ClientHellos, application data, nothing readable, no 4143. */
  static void wireIsTls(Pcap wire, String ip, int port, List<String> clear) {
    List<Pcap.Segment> toApp =
        wire.segments().stream().filter(s -> s.dst().equals(ip) && s.dstPort() == port).toList();
    List<Pcap.Segment> withPayload =
        wire.segments().stream().filter(s -> s.payload().length > 0).toList();
    long hellos = toApp.stream().filter(s -> s.startsWith(0x16, 0x03, 0x01)).count();
    long appData = withPayload.stream().filter(s -> s.startsWith(0x17, 0x03, 0x03)).count();
    long in4143 = wire.segments().stream().filter(s -> s.dstPort() == 4143).count();
    long readable = withPayload.stream().filter(s -> clear.stream().anyMatch(s::contains)).count();
    System.out.printf(
        "capture at %s: %d segments, %d to %d, %d ClientHellos, %d TLS application-data records,"
            + " %d to 4143, %d readable%n",
        ip, wire.segments().size(), toApp.size(), port, hellos, appData, in4143, readable);
    assertThat(hellos).as("ClientHellos to %s:%d", ip, port).isPositive();
    assertThat(appData).as("TLS application-data records at %s", ip).isPositive();
    assertThat(in4143).as("segments to 4143 at %s", ip).isZero();
    assertThat(readable).as("segments in the clear at %s", ip).isZero();
  }

  static JavaProcess capture(TestBed bed, String pod, Path pcap) throws Exception {
    JavaProcess p =
        bed.background(
            pod,
            "tcpdump",
            "-i",
            "eth0",
            "-U",
            "--immediate-mode", // a short SMTP session must not wait in libpcap's buffer
            "-n",
            "-Z",
            "root",
            "-w",
            pcap.toString(),
            "tcp and net 10.244.77.0/24");
    p.awaitContaining("listening on eth0");
    return p;
  }

  static Pcap stop(JavaProcess capture, Path pcap) throws Exception {
    Sh.run("kill", "-TERM", Long.toString(capture.pid()));
    capture.awaitContaining("packets captured");
    System.out.println(capture.output());
    return Pcap.read(pcap);
  }

  /** The first line the client pod reads from {@code ip:port} (an SMTP greeting). */
  private static String greeting(TestBed bed, String ip, int port) {
    return bed.pod("client")
        .run(
            "bash",
            "-c",
            "exec 3<>/dev/tcp/"
                + ip
                + "/"
                + port
                + "; read -r -t 20 line <&3; printf 'QUIT\\r\\n' >&3; echo \"$line\"")
        .strip();
  }
}
