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
 * The kubelet's HTTP probes under {@code deny} (docs/design/sources-and-precedence.md, <i>Probe
 * authorizations</i>): an nginx pod annotated {@code deny} with a readiness probe on {@code /ready}
 * and a liveness probe on {@code /live}. A plaintext {@code GET} of a probe path from the node (as
 * the kubelet sends it) reaches nginx; another path or method from the node gets the proxy's 403;
 * another client is refused outright, the probe path included (the probe networks are the node's
 * address here). Each refusal is counted with its reason.
 */
class ProbesUnderDenyTest {
  static final String WEB_IP = "10.244.77.91";
  static final String OUTSIDER_IP = "10.244.77.92";

  @Test
  void the_node_may_probe_a_denying_pod_and_nothing_else_passes() throws Exception {
    Sh.assumeRootWith("nginx", "curl");
    try (TestBed bed =
        new TestBed()
            .pod(
                "web",
                WEB_IP,
                true,
                "config.linkerd.io/default-inbound-policy: deny",
                "{name: http, containerPort: 8080}",
                """
                readinessProbe: {httpGet: {path: /ready, port: http}}
                livenessProbe: {httpGet: {path: /live, port: 8080}}
                """)
            .pod("outsider", OUTSIDER_IP, false, "", "")
            .policyServerArgs("--portolan.inbound.probe-networks=" + TestBed.NODE_IP + "/32")
            .start()) {
      Nginx.start(bed, "web", "reached the app", 100);
      String base = "http://" + WEB_IP + ":8080";

      for (String path : List.of("/ready", "/live", "/ready?verbose=1")) {
        String ok = curl(bed.node().exec(), base + path);
        System.out.println("node GET " + path + ":\n" + ok);
        assertThat(ok).startsWith("HTTP/1.1 200").contains("reached the app");
      }

      String other = curl(bed.node().exec(), base + "/secret");
      System.out.println("node GET /secret:\n" + other);
      assertThat(other)
          .startsWith("HTTP/1.1 403")
          .containsIgnoringCase("l5d-proxy-error: unauthenticated client " + TestBed.NODE_IP)
          .contains("route default takes GET /secret")
          .doesNotContain("reached the app");
      String post = curl(bed.node().exec(), "-X", "POST", base + "/ready");
      assertThat(post).startsWith("HTTP/1.1 403").doesNotContain("reached the app");

      // Another client: not in the probe networks, so no route admits it: refused at connect.
      String outsider = curl(bed.pod("outsider").ns().exec(), base + "/ready");
      System.out.println("outsider GET /ready:\n" + outsider);
      assertThat(outsider).doesNotContain("reached the app").doesNotContain("HTTP/1.1 200");

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() ->
              assertThat(bed.pod("web").metrics())
                  .contains("inbound_http_refused_total{reason=\"unauthorized\"} 2")
                  .contains("inbound_refused_total{reason=\"unauthorized\"} 1"));
    }
  }

  /** curl -i from a namespace; a refused connection gives curl's error, not a response. */
  private static String curl(List<String> exec, String... args) {
    List<String> cmd = new ArrayList<>(exec);
    cmd.addAll(List.of("curl", "-s", "-S", "-i", "--max-time", "10"));
    cmd.addAll(List.of(args));
    return Sh.tryRun(cmd).output();
  }
}
