package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * curl (HTTP/1.1) and h2load (HTTP/2 prior knowledge) to nginx on unmarked ports, through both
 * proxies: detected as HTTP on both sides, and spread over two server pods.
 */
class HttpThroughDetectionTest {
  @Test
  void http1_and_http2_are_detected_and_balanced_over_two_pods() throws Exception {
    Sh.assumeRootWith("nginx", "curl", "h2load");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.60", true, "", "")
            .pod(
                "web-0",
                "10.244.77.61",
                true,
                "",
                "{name: http, containerPort: 8080}, {name: h2, containerPort: 8081}")
            .pod(
                "web-1",
                "10.244.77.62",
                true,
                "",
                "{name: http, containerPort: 8080}, {name: h2, containerPort: 8081}")
            .service("web", "web", "10.96.77.60", 80, 8080)
            .service("web-h2", "web", "10.96.77.61", 81, 8081)
            .start()) {
      for (String pod : new String[] {"web-0", "web-1"}) {
        // Connections retire every 50 requests: the proxies must not lose a request to a GOAWAY
        // or a Connection: close.
        Nginx.start(bed, pod, pod, 50);
      }

      Set<String> answered = new HashSet<>();
      for (int i = 0; i < 20; i++) {
        String body =
            bed.pod("client")
                .run("curl", "-s", "--max-time", "5", "--http1.1", "http://10.96.77.60/");
        answered.add(body.strip());
      }
      // One at a time, P2C over peak-EWMA favours whichever pod answers faster; both are fine.
      assertThat(answered).isNotEmpty().isSubsetOf("web-0", "web-1");

      // One curl, one kept-alive connection, twenty requests.
      String[] many = new String[25];
      many[0] = "curl";
      many[1] = "-s";
      many[2] = "--max-time";
      many[3] = "10";
      many[4] = "--http1.1";
      for (int i = 5; i < many.length; i++) {
        many[i] = "http://10.96.77.60/r" + i;
      }
      String bodies = bed.pod("client").run(many);
      assertThat(bodies.lines().map(String::strip).toList())
          .hasSize(20)
          .allMatch(b -> b.equals("web-0") || b.equals("web-1"));

      // Concurrent HTTP/1.1 load: every request is balanced, both pods serve.
      String h1 =
          bed.pod("client").run("h2load", "--h1", "-n", "400", "-c", "8", "http://10.96.77.60/");
      assertThat(h1).contains("400 succeeded");

      String h2 = bed.pod("client").run("h2load", "-n", "400", "-c", "4", "http://10.96.77.61:81/");
      System.out.println(h2);
      assertThat(h2).contains("400 succeeded");

      String client = bed.pod("client").metrics();
      assertThat(client)
          .contains("outbound_tcp_detect_results_total{result=\"http/1\"} 29")
          .contains("outbound_tcp_detect_results_total{result=\"http/2\"} 4");
      // Request metrics: 29 connections, 440 requests, 440 answers.
      assertThat(client)
          .contains(
              "request_total{direction=\"outbound\",target_addr=\"10.96.77.60:80\",peer=\"src\",tls=\"disabled\"} 440")
          .contains(
              "response_total{direction=\"outbound\",target_addr=\"10.96.77.60:80\",peer=\"src\",tls=\"disabled\",status_code=\"200\",classification=\"success\"} 440")
          .contains(
              "response_latency_ms_count{direction=\"outbound\",target_addr=\"10.96.77.60:80\",peer=\"src\",tls=\"disabled\"} 440");
      // HTTP/2: every stream counted and balanced on its own.
      assertThat(client)
          .contains(
              "request_total{direction=\"outbound\",target_addr=\"10.96.77.61:81\",peer=\"src\",tls=\"disabled\"} 400")
          .contains(
              "response_total{direction=\"outbound\",target_addr=\"10.96.77.61:81\",peer=\"src\",tls=\"disabled\",status_code=\"200\",classification=\"success\"} 400");
      for (String pod : new String[] {"web-0", "web-1"}) {
        String m = bed.pod(pod).metrics();
        assertThat(inboundRequests(m, 8080)).as(pod + " http/1").isGreaterThan(10);
        assertThat(inboundRequests(m, 8081)).as(pod + " http/2").isGreaterThan(10);
      }
      assertThat(bed.pod("web-0").metrics() + bed.pod("web-1").metrics())
          .contains("inbound_tcp_detect_results_total{result=\"http/1\"}")
          .contains("inbound_tcp_detect_results_total{result=\"http/2\"}");
    }
  }

  /** The inbound request count on a port, from a proxy's metrics text. */
  private static long inboundRequests(String metrics, int port) {
    return metrics
        .lines()
        .filter(l ->
            l.startsWith("request_total{direction=\"inbound\"") && l.contains(":" + port + "\""))
        .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }
}
