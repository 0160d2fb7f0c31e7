package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import org.junit.jupiter.api.Test;

/**
 * {@code config.linkerd.io/skip-subnets: "10.244.77.144/28"} on a meshed client: its connections
 * into that subnet leave the pod without its proxy (proxy-init returns them before the outbound
 * redirect, docs/design/interception.md), so the proxy's metrics never name the skipped nginx,
 * while the control nginx outside the subnet is counted. Both servers are unmeshed: only the
 * client's interception is under test.
 */
class SkipSubnetsVisibleTest {
  static final String SKIPPED_IP = "10.244.77.150"; // inside 10.244.77.144/28 (.144–.159)
  static final String CONTROL_IP = "10.244.77.141";

  @Test
  void traffic_to_a_skipped_subnet_bypasses_the_client_proxy_and_the_control_does_not()
      throws Exception {
    Sh.assumeRootWith("nginx", "curl");
    try (TestBed bed =
        new TestBed()
            .pod(
                "client",
                "10.244.77.140",
                true,
                "config.linkerd.io/skip-subnets: \"10.244.77.144/28\"",
                "")
            .pod("skipped", SKIPPED_IP, false, "", "{name: http, containerPort: 8080}")
            .pod("control", CONTROL_IP, false, "", "{name: http, containerPort: 8080}")
            .start()) {
      Nginx.start(bed, "skipped", "skipped", 100);
      Nginx.start(bed, "control", "control", 100);

      assertThat(
              bed.pod("client")
                  .run("curl", "-s", "--max-time", "5", "http://" + SKIPPED_IP + ":8080/"))
          .isEqualTo("skipped\n");
      assertThat(
              bed.pod("client")
                  .run("curl", "-s", "--max-time", "5", "http://" + CONTROL_IP + ":8080/"))
          .isEqualTo("control\n");

      String client = bed.pod("client").metrics();
      System.out.println(client);
      assertThat(client)
          .contains(
              "tcp_open_total{direction=\"outbound\",target_addr=\""
                  + CONTROL_IP
                  + ":8080\",peer=\"src\",tls=\"disabled\"} 1")
          .contains("outbound_tcp_detect_results_total{result=\"http/1\"} 1")
          .doesNotContain(SKIPPED_IP);
    }
  }
}
