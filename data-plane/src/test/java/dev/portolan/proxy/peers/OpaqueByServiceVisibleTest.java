package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import org.junit.jupiter.api.Test;

/**
 * {@code config.linkerd.io/opaque-ports} on a Service over nginx's HTTP port: the client's proxy
 * gets opaque from the Service's profile (docs/design/sources-and-precedence.md) and relays curl's
 * request as TCP, without detection or request metrics. A second Service over the same pods with no
 * annotation is the control: the same proxy detects HTTP/1 there and counts the request.
 */
class OpaqueByServiceVisibleTest {
  static final String WEB_IP = "10.244.77.111";
  static final String OPAQUE_IP = "10.96.77.111";
  static final String PLAIN_IP = "10.96.77.112";

  @Test
  void http_through_a_service_marked_opaque_is_counted_as_tcp_by_the_client_proxy()
      throws Exception {
    Sh.assumeRootWith("nginx", "curl");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.110", true, "", "")
            .pod("web", WEB_IP, true, "", "{name: http, containerPort: 8080}")
            .service(
                "web-opaque", "web", OPAQUE_IP, 80, 8080, "config.linkerd.io/opaque-ports: \"80\"")
            .service("web-plain", "web", PLAIN_IP, 80, 8080)
            .start()) {
      Nginx.start(bed, "web", "hello", 100);

      String opaque =
          bed.pod("client").run("curl", "-s", "--max-time", "5", "http://" + OPAQUE_IP + "/");
      assertThat(opaque).isEqualTo("hello\n");
      String plain =
          bed.pod("client").run("curl", "-s", "--max-time", "5", "http://" + PLAIN_IP + "/");
      assertThat(plain).isEqualTo("hello\n");

      String client = bed.pod("client").metrics();
      System.out.println(client);
      assertThat(client)
          .contains(
              "tcp_open_total{direction=\"outbound\",target_addr=\""
                  + OPAQUE_IP
                  + ":80\",peer=\"src\",tls=\"disabled\"} 1")
          .contains("outbound_tcp_detect_results_total{result=\"http/1\"} 1");
      assertThat(client.lines().filter(l -> l.startsWith("request_total")))
          .as("outbound requests counted: only the plain Service's")
          .noneMatch(l -> l.contains(OPAQUE_IP))
          .anyMatch(l -> l.contains(PLAIN_IP + ":80\""));
    }
  }
}
