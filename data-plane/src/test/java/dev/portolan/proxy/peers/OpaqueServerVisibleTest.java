package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import org.junit.jupiter.api.Test;

/**
 * A {@code Server} with {@code proxyProtocol: opaque} over nginx's HTTP port: curl still gets its
 * answer, and the server's proxy counts the connection as TCP without detecting or decoding HTTP
 * (docs/design/sources-and-precedence.md). A second nginx port with no Server is the control: the
 * same proxy detects HTTP there and counts its request.
 */
class OpaqueServerVisibleTest {
  static final String WEB_IP = "10.244.77.71";

  @Test
  void http_to_an_opaque_server_port_is_counted_as_tcp_not_http() throws Exception {
    Sh.assumeRootWith("nginx", "curl");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.70", true, "", "")
            .pod(
                "web",
                WEB_IP,
                true,
                "",
                "{name: http, containerPort: 8080}, {name: h2c, containerPort: 8081}")
            .server("web-opaque", "web", 8080, "opaque")
            .start()) {
      Nginx.start(bed, "web", "hello", 100);

      String opaque =
          bed.pod("client").run("curl", "-s", "--max-time", "5", "http://" + WEB_IP + ":8080/");
      assertThat(opaque).isEqualTo("hello\n");
      // The control: 8081 is nginx's h2c port, spoken with prior knowledge.
      String detected =
          bed.pod("client")
              .run(
                  "curl",
                  "-s",
                  "--max-time",
                  "5",
                  "--http2-prior-knowledge",
                  "http://" + WEB_IP + ":8081/");
      assertThat(detected).isEqualTo("hello\n");

      String web = bed.pod("web").metrics();
      System.out.println(web);
      assertThat(web)
          .contains(
              "tcp_open_total{direction=\"inbound\",target_addr=\""
                  + WEB_IP
                  + ":8080\",peer=\"src\",tls=\"disabled\"} 1")
          .contains("inbound_tcp_detect_results_total{result=\"http/2\"} 1")
          .doesNotContain("inbound_tcp_detect_results_total{result=\"http/1\"}");
      assertThat(web.lines().filter(l -> l.startsWith("request_total")))
          .as("inbound requests counted: only the control port's")
          .noneMatch(l -> l.contains(":8080\""))
          .anyMatch(l -> l.contains(":8081\""));
    }
  }
}
