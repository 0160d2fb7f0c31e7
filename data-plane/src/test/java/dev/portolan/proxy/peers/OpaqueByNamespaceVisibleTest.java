package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import org.junit.jupiter.api.Test;

/**
 * {@code config.linkerd.io/opaque-ports: "8080"} on the Namespace, nothing on the pods: nginx's
 * HTTP port is opaque for the pods of that namespace (docs/design/sources-and-precedence.md), so
 * the server's proxy relays curl's request as TCP without detecting it. nginx's h2c port 8081 is
 * the control: the same proxy detects HTTP/2 there and counts the request.
 */
class OpaqueByNamespaceVisibleTest {
  static final String WEB_IP = "10.244.77.121";

  @Test
  void http_to_a_port_the_namespace_marks_opaque_is_counted_as_tcp() throws Exception {
    Sh.assumeRootWith("nginx", "curl");
    try (TestBed bed =
        new TestBed()
            .namespaceAnnotations("config.linkerd.io/opaque-ports: \"8080\"")
            .pod("client", "10.244.77.120", true, "", "")
            .pod(
                "web",
                WEB_IP,
                true,
                "",
                "{name: http, containerPort: 8080}, {name: h2c, containerPort: 8081}")
            .start()) {
      Nginx.start(bed, "web", "hello", 100);

      String opaque =
          bed.pod("client").run("curl", "-s", "--max-time", "5", "http://" + WEB_IP + ":8080/");
      assertThat(opaque).isEqualTo("hello\n");
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
      String client = bed.pod("client").metrics();
      System.out.println(client);
      assertThat(client.lines().filter(l -> l.startsWith("request_total")))
          .as("outbound requests counted by the client: only the control port's")
          .noneMatch(l -> l.contains(":8080\""))
          .anyMatch(l -> l.contains(":8081\""));
    }
  }
}
