package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.NetworkPolicyEnforcer;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * A server that speaks first (OpenSMTPD) on an opaque port behind a NetworkPolicy that allows only
 * that port, enforced by the test enforcer (docs/networkpolicy.md, second row): the meshed client
 * is not rewritten to 4143 and gets its greeting through mTLS on 2526, the server's proxy holding
 * the greeting until the handshake; an unmeshed client gets it in plaintext after the TLS peek
 * window (20 ms by default), measured here.
 */
class SmtpBehindNetworkPolicyTest {
  static final String CLIENT_IP = "10.244.77.40";
  static final String OUTSIDER_IP = "10.244.77.41";
  static final String SMTP_IP = "10.244.77.42";

  static final String POLICY =
      """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata: {name: smtp, namespace: bed}
      spec:
        podSelector: {matchLabels: {app: smtp}}
        ingress:
          - from:
              - podSelector: {matchLabels: {app: client}}
              - podSelector: {matchLabels: {app: outsider}}
            ports: [{port: 2526}]
      """;

  @Test
  void the_meshed_client_gets_its_greeting_over_mtls_on_the_app_port() throws Exception {
    Sh.assumeRootWith("smtpd", "bash");
    Path conf = Files.createTempFile("portolan-smtpd", ".conf");
    Files.writeString(
        conf,
        """
        listen on 0.0.0.0 port 2526
        action "relay" relay
        match from any for any action "relay"
        """);
    try (TestBed bed =
        new TestBed()
            .identity(true)
            .pod("client", CLIENT_IP, true, "", "")
            .pod("outsider", OUTSIDER_IP, false, "", "")
            .pod(
                "smtp",
                SMTP_IP,
                true,
                "config.linkerd.io/opaque-ports: \"2526\"",
                "{name: smtp, containerPort: 2526}")) {
      Files.writeString(bed.manifestsDir().resolve("np-smtp.yaml"), POLICY);
      bed.start();
      NetworkPolicyEnforcer enforcer =
          new NetworkPolicyEnforcer(bed, List.of("client", "outsider", "smtp"));
      JavaProcess smtpd = bed.background("smtp", "smtpd", "-d", "-f", conf.toString());
      smtpd.awaitContaining("starting");
      List<String> probe = new ArrayList<>(bed.pod("smtp").ns().exec());
      probe.addAll(
          List.of(
              "bash",
              "-c",
              "exec 3<>/dev/tcp/127.0.0.1/2526 && read -r -t 5 l <&3 && [[ $l == 220* ]] &&"
                  + " printf 'QUIT\\r\\n' >&3"));
      await().atMost(Duration.ofSeconds(20)).until(() -> Sh.tryRun(probe).exit() == 0);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() ->
              bed.pod("smtp").run("curl", "-s", "http://127.0.0.1:4191/ready").equals("ready\n"));
      JsonNode conflict =
          await().atMost(Duration.ofSeconds(30)).until(() -> conflict(bed), c -> c != null);
      assertThat(conflict.path("clients").toString()).contains("bed/client");

      long direct =
          SmtpPeekCostTest.median(
              () -> SmtpPeekCostTest.greeting(bed.pod("smtp").ns().exec(), "127.0.0.1"));
      List<String> client = bed.pod("client").ns().exec();
      SmtpPeekCostTest.greeting(client, SMTP_IP); // the client proxy learns the destination
      long meshed = SmtpPeekCostTest.median(() -> SmtpPeekCostTest.greeting(client, SMTP_IP));
      List<String> outsider = bed.pod("outsider").ns().exec();
      SmtpPeekCostTest.greeting(outsider, SMTP_IP);
      long unmeshed = SmtpPeekCostTest.median(() -> SmtpPeekCostTest.greeting(outsider, SMTP_IP));
      System.out.printf(
          "SMTP greeting behind a policy allowing only 2526, median of %d: in the pod %d ms;"
              + " meshed client (mTLS on 2526) %d ms; unmeshed client (through the peek) %d ms%n",
          SmtpPeekCostTest.ROUNDS, direct, meshed, unmeshed);

      String smtpMetrics = bed.pod("smtp").metrics();
      System.out.println(smtpMetrics);
      assertThat(smtpMetrics)
          .containsPattern(
              "inbound_app_port_tls_total\\{result=\"mesh_tls\"} ("
                  + (SmtpPeekCostTest.ROUNDS + 1)
                  + ")\\b")
          .containsPattern(
              "inbound_app_port_tls_total\\{result=\"plaintext\"} ("
                  + (SmtpPeekCostTest.ROUNDS + 1)
                  + ")\\b")
          .doesNotContain("inbound_app_tls_refused_total");
      assertThat(bed.pod("client").metrics())
          .contains(
              "tcp_open_total{direction=\"outbound\",target_addr=\""
                  + SMTP_IP
                  + ":2526\",peer=\"src\",tls=\"true\"")
          .doesNotContain("outbound_tls_refused_total");
      assertThat(enforcer.dropped("smtp")).as("nothing black-holed").isZero();
      assertThat(enforcer.accepted("smtp", 2526)).isPositive();
      assertThat(unmeshed).as("the greeting waits for the peek window").isGreaterThanOrEqualTo(20);
      assertThat(unmeshed).as("and not much more").isLessThan(direct + 200);
    } finally {
      Files.deleteIfExists(conf);
    }
  }

  static JsonNode conflict(TestBed bed) {
    String json =
        bed.node()
            .run("curl", "-s", "--max-time", "5", "http://127.0.0.1:8080/actuator/networkpolicy");
    for (JsonNode c : new ObjectMapper().readTree(json).path("conflicts")) {
      if (c.path("policy").path("name").asString().equals("smtp")
          && c.path("port").asInt() == 2526) {
        return c;
      }
    }
    return null;
  }
}
