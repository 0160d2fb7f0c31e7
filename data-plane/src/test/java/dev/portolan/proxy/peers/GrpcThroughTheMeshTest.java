package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import org.junit.jupiter.api.Test;

/**
 * A grpc-java client and server talking through both proxies, by Service cluster IP: detected on
 * the client side, declared by a {@code Server} (proxyProtocol gRPC) on the server side.
 */
class GrpcThroughTheMeshTest {
  @Test
  void grpc_java_client_and_server_work_through_both_proxies() throws Exception {
    Sh.assumeRootWith("curl");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.70", true, "", "")
            .pod("api", "10.244.77.71", true, "", "{name: grpc, containerPort: 9090}")
            .service("api", "api", "10.96.77.70", 9090, 9090)
            .server("api-grpc", "api", 9090, "gRPC")
            .start()) {
      JavaProcess server = bed.javaIn("api", GrpcPeers.class, "server", "9090");
      server.awaitLine("grpc server listening");
      try (JavaProcess client =
          bed.javaIn("client", GrpcPeers.class, "client", "10.96.77.70:9090", "50")) {
        assertThat(client.awaitLine("grpc client ok")).isEqualTo("grpc client ok 50 of 50");
      }
      assertThat(bed.pod("client").metrics())
          .contains("outbound_tcp_detect_results_total{result=\"http/2\"} 1");
      assertThat(bed.pod("client").metrics())
          .contains(
              "request_total{direction=\"outbound\",target_addr=\"10.96.77.70:9090\",peer=\"src\",tls=\"disabled\"} 50")
          .contains(
              "response_total{direction=\"outbound\",target_addr=\"10.96.77.70:9090\",peer=\"src\",tls=\"disabled\",status_code=\"200\",classification=\"success\"} 50");
      // Declared: no detection on the server side, the HTTP/2 codec at once, requests counted.
      assertThat(bed.pod("api").metrics())
          .doesNotContain("inbound_tcp_detect_results_total")
          .contains(
              "request_total{direction=\"inbound\",target_addr=\"10.244.77.71:9090\",peer=\"src\",tls=\"disabled\"} 50");
    }
  }
}
