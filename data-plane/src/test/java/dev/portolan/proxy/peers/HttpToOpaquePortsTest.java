package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1 and HTTP/2 sent by an app to ports marked opaque (a pod annotation, and a {@code Server}
 * with {@code proxyProtocol: opaque}) reach the app through the peer's inbound port 4143 under mesh
 * TLS and get their answers (Linkerd answered 404 "no route found" here: linkerd2#9888, #10853).
 */
class HttpToOpaquePortsTest {
  static final String WEB = "10.244.77.61";
  static final String CLIENT_ID = "client.bed.serviceaccount.identity.portolan.cluster.local";

  @Test
  void http1_and_http2_to_opaque_ports_get_their_answers_through_4143() throws Exception {
    Sh.assumeRootWith("nginx", "curl");
    try (TestBed bed =
        new TestBed()
            .identity(true)
            .pod("client", "10.244.77.60", true, "", "")
            .pod(
                "web",
                WEB,
                true,
                "config.linkerd.io/opaque-ports: \"8080\"",
                "{name: http, containerPort: 8080}, {name: h2c, containerPort: 8081}")
            .server("web-h2c", "web", 8081, "opaque")
            .start()) {
      Nginx.start(bed, "web", "hello from web", 1000);
      assertThat(bed.pod("web").run("curl", "-s", "http://127.0.0.1:4191/ready"))
          .isEqualTo("ready\n");
      String h1 =
          bed.pod("client").run("curl", "-s", "--max-time", "10", "http://" + WEB + ":8080/");
      String h2 =
          bed.pod("client")
              .run(
                  "curl",
                  "-s",
                  "--max-time",
                  "10",
                  "--http2-prior-knowledge",
                  "-w",
                  " %{http_version}",
                  "http://" + WEB + ":8081/");
      assertThat(h1).isEqualTo("hello from web\n");
      assertThat(h2).isEqualTo("hello from web\n 2");
      String metrics = bed.pod("web").metrics();
      System.out.println("web proxy metrics:\n" + metrics);
      // Both arrived under mesh TLS (the client's identity is on them) and on 4143: a redirected
      // connection to an opaque port would have been counted by the application-port peek.
      assertThat(metrics).doesNotContain("inbound_app_port_tls_total");
      assertThat(metrics)
          .containsPattern(
              "tcp_open_total\\{direction=\"inbound\",target_addr=\"[0-9.]+:8080\"[^}]*client_id=\""
                  + CLIENT_ID.replace(".", "\\.")
                  + "\"")
          .containsPattern(
              "tcp_open_total\\{direction=\"inbound\",target_addr=\"[0-9.]+:8081\"[^}]*client_id=\""
                  + CLIENT_ID.replace(".", "\\.")
                  + "\"");
    }
  }
}
