package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A real SMTP server (OpenSMTPD) speaks first. On an unmarked port the proxies notice the silent
 * client and let the greeting through at once (Linkerd waits for its 10 s detect timeout), then
 * remember the port; on a port marked opaque there is no detection at all.
 */
class SmtpServerFirstTest {
  static final String SMTP = "10.244.77.41";

  @Test
  void smtp_greeting_arrives_without_waiting_for_the_detect_timeout() throws Exception {
    Sh.assumeRootWith("smtpd", "swaks");
    Path conf = Files.createTempFile("portolan-smtpd", ".conf");
    Files.writeString(
        conf,
        """
        listen on 0.0.0.0 port 2525
        listen on 0.0.0.0 port 2526
        action "relay" relay
        match from any for any action "relay"
        """);
    try (TestBed bed =
        new TestBed()
            .proxyEnv(Map.of("PORTOLAN_LOG_LEVEL", "debug"))
            .pod("client", "10.244.77.40", true, "", "")
            .pod(
                "smtp",
                SMTP,
                true,
                "config.linkerd.io/opaque-ports: \"2526\"",
                "{name: smtp, containerPort: 2525}, {name: smtp-opaque, containerPort: 2526}")
            .start()) {
      JavaProcess smtpd = bed.background("smtp", "smtpd", "-d", "-f", conf.toString());
      smtpd.awaitContaining("starting");
      // Ready once a loopback session inside the pod (which bypasses the proxy) gets its greeting;
      // that also warms the server's own (failing) DNS lookup, so timings below are the mesh's.
      List<String> probe = new ArrayList<>(bed.pod("smtp").ns().exec());
      probe.addAll(
          List.of(
              "bash",
              "-c",
              "exec 3<>/dev/tcp/127.0.0.1/2526 && read -r -t 5 l <&3 && [[ $l == 220* ]] && printf 'QUIT\\r\\n' >&3"));
      await().atMost(Duration.ofSeconds(20)).until(() -> Sh.tryRun(probe).exit() == 0);

      // Warm both proxies (JIT, first discovery round trip) on the opaque port; then 2525 is new.
      long warmUp = greetingMillis(bed, 2526);
      long first = greetingMillis(bed, 2525);
      long second = greetingMillis(bed, 2525);
      long opaque = greetingMillis(bed, 2526);
      System.out.printf(
          "SMTP greeting: cold proxies %d ms; unmarked port first %d ms, second %d ms; opaque port %d ms%n",
          warmUp, first, second, opaque);
      // Detection would have waited 10 s for client bytes; the race answers in well under that.
      assertThat(warmUp).isLessThan(5_000);
      assertThat(first).isLessThan(5_000);
      assertThat(second).isLessThan(5_000);
      assertThat(opaque).isLessThan(5_000);
      assertThat(bed.pod("client").metrics())
          .contains("outbound_tcp_detect_results_total{result=\"server_first\"}");
      String clientLog = bed.pod("client").proxy().output();
      assertThat(clientLog).contains("speaks first");
      // At debug, every connection says why it was treated as it was.
      assertThat(clientLog)
          .containsPattern("outbound \\S+ -> \\S+:2526 via \\S+: opaque \\(no detection\\)")
          .containsPattern("outbound \\S+ -> \\S+:2525 via \\S+: client silent for 100 ms")
          .containsPattern("outbound \\S+ -> \\S+:2525 via \\S+: known to speak first");
      assertThat(bed.pod("smtp").proxy().output())
          .containsPattern("inbound \\S+ -> \\S+:2526 via \\S+: opaque \\(no detection\\)");

      // A real client completes a session through both proxies.
      String swaks =
          bed.pod("client")
              .run(
                  "swaks",
                  "--server",
                  SMTP + ":2525",
                  "--quit-after",
                  "EHLO",
                  "--ehlo",
                  "client.test");
      assertThat(swaks).contains("<-  220").contains("<-  250");
    } finally {
      Files.deleteIfExists(conf);
    }
  }

  /** Connects from the client pod and times the arrival of the 220 greeting. */
  static long greetingMillis(TestBed bed, int port) {
    String out =
        bed.pod("client")
            .run(
                "bash",
                "-c",
                "s=$(date +%s%N); exec 3<>/dev/tcp/"
                    + SMTP
                    + "/"
                    + port
                    + "; read -r -t 20 line <&3; e=$(date +%s%N); printf 'QUIT\\r\\n' >&3; echo \"$line\"; echo $(( (e-s)/1000000 ))");
    String[] lines = out.strip().split("\n");
    assertThat(lines[0])
        .as(
            "greeting on port %d; client proxy:%n%s%nsmtp proxy:%n%s%nclient metrics:%n%s%nsmtp metrics:%n%s",
            port,
            bed.pod("client").proxy().output(),
            bed.pod("smtp").proxy().output(),
            bed.pod("client").metrics(),
            bed.pod("smtp").metrics())
        .startsWith("220");
    return Long.parseLong(lines[lines.length - 1].strip());
  }
}
