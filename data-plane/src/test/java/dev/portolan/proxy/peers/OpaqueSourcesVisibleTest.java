package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import org.junit.jupiter.api.Test;

/**
 * Port 8080 of nginx made opaque by each source that can say so without touching the Pod — an
 * opaque {@code Server}, the Namespace's {@code config.linkerd.io/opaque-ports}, the install's
 * default opaque list (docs/design/sources-and-precedence.md): curl still gets its answer, and the
 * server's proxy counts the connection as TCP without detecting or decoding HTTP. nginx's h2c port
 * 8081, opaque by no source, is the control in the same bed: detected as HTTP/2 and its request
 * counted.
 */
class OpaqueSourcesVisibleTest {
  private static final String PORTS =
      "{name: http, containerPort: 8080}, {name: h2c, containerPort: 8081}";

  @Test
  void http_to_an_opaque_server_port_is_counted_as_tcp_not_http() throws Exception {
    Sh.assumeRootWith("nginx", "curl");
    String web = "10.244.77.71";
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.70", true, "", "")
            .pod("web", web, true, "", PORTS)
            .server("web-opaque", "web", 8080, "opaque")
            .start()) {
      assertOpaqueWithControl(bed, web, false);
    }
  }

  @Test
  void http_to_a_port_the_namespace_marks_opaque_is_counted_as_tcp() throws Exception {
    Sh.assumeRootWith("nginx", "curl");
    String web = "10.244.77.121";
    try (TestBed bed =
        new TestBed()
            .namespaceAnnotations("config.linkerd.io/opaque-ports: \"8080\"")
            .pod("client", "10.244.77.120", true, "", "")
            .pod("web", web, true, "", PORTS)
            .start()) {
      assertOpaqueWithControl(bed, web, true);
    }
  }

  @Test
  void http_to_a_port_in_the_configured_default_opaque_list_is_counted_as_tcp() throws Exception {
    Sh.assumeRootWith("nginx", "curl");
    String web = "10.244.77.131";
    try (TestBed bed =
        new TestBed()
            // 8080 is not in the shipped list.
            .policyServerArgs("--portolan.default-opaque-ports=8080")
            .pod("client", "10.244.77.130", true, "", "")
            .pod("web", web, true, "", PORTS)
            .start()) {
      assertOpaqueWithControl(bed, web, true);
    }
  }

  /**
   * curl to 8080 (opaque) and h2c to 8081 (the control) both answered; the server's proxy relays
   * 8080 as TCP and counts only 8081's request, and so does the client's when {@code clientToo}.
   */
  private static void assertOpaqueWithControl(TestBed bed, String webIp, boolean clientToo)
      throws Exception {
    Nginx.start(bed, "web", "hello", 100);
    String opaque =
        bed.pod("client").run("curl", "-s", "--max-time", "5", "http://" + webIp + ":8080/");
    assertThat(opaque).isEqualTo("hello\n");
    String detected =
        bed.pod("client")
            .run(
                "curl",
                "-s",
                "--max-time",
                "5",
                "--http2-prior-knowledge",
                "http://" + webIp + ":8081/");
    assertThat(detected).isEqualTo("hello\n");

    String web = bed.pod("web").metrics();
    System.out.println(web);
    assertThat(web)
        .contains(
            "tcp_open_total{direction=\"inbound\",target_addr=\""
                + webIp
                + ":8080\",peer=\"src\",tls=\"disabled\"} 1")
        .contains("inbound_tcp_detect_results_total{result=\"http/2\"} 1")
        .doesNotContain("inbound_tcp_detect_results_total{result=\"http/1\"}");
    assertThat(web.lines().filter(l -> l.startsWith("request_total")))
        .as("inbound requests counted: only the control port's")
        .noneMatch(l -> l.contains(":8080\""))
        .anyMatch(l -> l.contains(":8081\""));
    if (clientToo) {
      String client = bed.pod("client").metrics();
      System.out.println(client);
      assertThat(client.lines().filter(l -> l.startsWith("request_total")))
          .as("outbound requests counted by the client: only the control port's")
          .noneMatch(l -> l.contains(":8080\""))
          .anyMatch(l -> l.contains(":8081\""));
    }
  }
}
