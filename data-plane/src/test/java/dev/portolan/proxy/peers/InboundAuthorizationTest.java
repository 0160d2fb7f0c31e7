package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Default inbound policies enforced for real (docs/design/inbound.md): a redis pod annotated {@code
 * all-authenticated} serves a meshed client (through 4143, mesh TLS) and refuses a plaintext
 * client; a redis pod annotated {@code deny} refuses both. Then a real curl that sends {@code
 * l5d-client-id: spoofed} to an nginx behind a proxy: the header never reaches the application,
 * which sees the verified identity of a meshed client instead, and none for a plaintext one.
 */
class InboundAuthorizationTest {
  static final String CLIENT_IP = "10.244.77.20";
  static final String AUTHN_IP = "10.244.77.21";
  static final String DENY_IP = "10.244.77.22";
  static final String OUTSIDER_IP = "10.244.77.23";
  static final String WEB_IP = "10.244.77.24";
  static final String LOCKED_IP = "10.244.77.25";
  static final String POLICY = "config.linkerd.io/default-inbound-policy";

  @Test
  void all_authenticated_and_deny_are_enforced_and_client_id_cannot_be_spoofed() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-cli", "nginx", "curl");
    try (TestBed bed =
        new TestBed()
            .identity(true)
            .pod("client", CLIENT_IP, true, "", "")
            .pod(
                "authn",
                AUTHN_IP,
                true,
                POLICY + ": all-authenticated",
                "{name: redis, containerPort: 6379}")
            .pod("deny", DENY_IP, true, POLICY + ": deny", "{name: redis, containerPort: 6379}")
            .pod("outsider", OUTSIDER_IP, false, "", "")
            .pod("web", WEB_IP, true, "", "{name: http, containerPort: 8080}")
            .pod("locked", LOCKED_IP, true, POLICY + ": deny", "{name: http, containerPort: 8080}")
            .server("locked-http", "locked", 8080, "HTTP/1")
            .start()) {
      for (String pod : List.of("authn", "deny")) {
        Redis.server(bed, pod, 6379);
      }
      Nginx.start(bed, "web", "client-id=[$http_l5d_client_id]", 100);
      Nginx.start(bed, "locked", "reached the app", 100);

      // all-authenticated: the meshed client is served (4143, mesh TLS), the plaintext one not.
      assertThat(ping(bed, "client", AUTHN_IP)).contains("PONG");
      String plain = ping(bed, "outsider", AUTHN_IP);
      assertThat(plain).doesNotContain("PONG");
      // deny: nobody.
      assertThat(ping(bed, "client", DENY_IP)).doesNotContain("PONG");
      assertThat(ping(bed, "outsider", DENY_IP)).doesNotContain("PONG");

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> {
            assertThat(bed.pod("authn").metrics())
                .contains("inbound_refused_total{reason=\"unauthorized\"} 1")
                .doesNotContain("inbound_transport_refused_total");
            assertThat(bed.pod("deny").metrics())
                .contains("inbound_refused_total{reason=\"unauthorized\"} 1")
                .contains("inbound_transport_refused_total{reason=\"unauthorized\"} 1");
          });
      assertThat(bed.pod("authn").metrics())
          .contains(
              "tcp_open_total{direction=\"inbound\",target_addr=\""
                  + AUTHN_IP
                  + ":6379\",peer=\"src\",tls=\"true\",client_id=\""
                  + "client.bed.serviceaccount.identity.portolan.cluster.local\"} 1");

      // The application never sees a client-chosen l5d-client-id: a plaintext client's is
      // removed, a meshed client's replaced by the identity its certificate proved (the client
      // proxy dials the HTTP endpoint over mesh TLS on its own port).
      for (String pod : List.of("outsider", "client")) {
        String body =
            bed.pod(pod)
                .run(
                    "curl",
                    "-s",
                    "--max-time",
                    "10",
                    "-H",
                    "l5d-client-id: spoofed",
                    "http://" + WEB_IP + ":8080/");
        System.out.println("curl from " + pod + " with l5d-client-id: spoofed -> " + body);
        assertThat(body.strip())
            .isEqualTo(
                pod.equals("client")
                    ? "client-id=[client.bed.serviceaccount.identity.portolan.cluster.local]"
                    : "client-id=[]");
      }

      // deny on a port a Server declares HTTP/1: 403 from the proxy, nothing forwarded.
      String head =
          bed.pod("outsider")
              .run("curl", "-s", "-i", "--max-time", "10", "http://" + LOCKED_IP + ":8080/");
      System.out.println("curl to a deny HTTP/1 port:\n" + head);
      assertThat(head)
          .startsWith("HTTP/1.1 403")
          .containsIgnoringCase("l5d-proxy-error: unauthenticated client " + OUTSIDER_IP)
          .contains("not authorized on port 8080")
          .doesNotContain("reached the app");
      assertThat(bed.pod("locked").metrics())
          .contains("inbound_refused_total{reason=\"unauthorized\"} 1");
    }
  }

  /** {@code redis-cli PING} from {@code pod}; a refused connection gives an error, not PONG. */
  private static String ping(TestBed bed, String pod, String ip) {
    List<String> cmd = new ArrayList<>(bed.pod(pod).ns().exec());
    cmd.addAll(List.of("timeout", "10", "redis-cli", "-h", ip, "-p", "6379", "PING"));
    String out = Sh.tryRun(cmd).output();
    System.out.println("redis-cli PING from " + pod + " to " + ip + ": " + out);
    return out;
  }
}
