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
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the application-port TLS peek costs a client outside the mesh that waits for the server to
 * speak first (docs/proxy.md, <i>mTLS on the application port</i>): identity on, an SMTP server on
 * an opaque port; an unmeshed client's greeting is delayed by about one peek window (20 ms), since
 * the server's proxy dials the app only once the window says "no ClientHello for us".
 */
class SmtpPeekCostTest {
  static final String SMTP = "10.244.77.51";
  static final int ROUNDS = 7;

  @Test
  void an_unmeshed_server_first_client_pays_about_one_peek_window() throws Exception {
    Sh.assumeRootWith("smtpd");
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
            .pod("outsider", "10.244.77.52", false, "", "")
            .pod(
                "smtp",
                SMTP,
                true,
                "config.linkerd.io/opaque-ports: \"2526\"",
                "{name: smtp-opaque, containerPort: 2526}")
            .start()) {
      JavaProcess smtpd = bed.background("smtp", "smtpd", "-d", "-f", conf.toString());
      smtpd.awaitContaining("starting");
      List<String> probe = new ArrayList<>(bed.pod("smtp").ns().exec());
      probe.addAll(
          List.of(
              "bash",
              "-c",
              "exec 3<>/dev/tcp/127.0.0.1/2526 && read -r -t 5 l <&3 && [[ $l == 220* ]] && printf 'QUIT\\r\\n' >&3"));
      await().atMost(Duration.ofSeconds(20)).until(() -> Sh.tryRun(probe).exit() == 0);
      assertThat(bed.pod("smtp").run("curl", "-s", "http://127.0.0.1:4191/ready"))
          .isEqualTo("ready\n");

      long direct = median(() -> greeting(bed.pod("smtp").ns().exec(), "127.0.0.1"));
      greeting(bed.pod("outsider").ns().exec(), SMTP); // warm the proxy's policy for 2526
      long viaProxy = median(() -> greeting(bed.pod("outsider").ns().exec(), SMTP));
      System.out.printf(
          "SMTP greeting to an opaque port, identity on, median of %d: in the pod (no proxy) %d"
              + " ms; unmeshed client through the peek %d ms%n",
          ROUNDS, direct, viaProxy);
      assertThat(viaProxy).as("the greeting waits for the 20 ms peek").isGreaterThanOrEqualTo(20);
      assertThat(viaProxy).as("and not much more").isLessThan(direct + 200);
      assertThat(bed.pod("smtp").metrics())
          .contains("inbound_app_port_tls_total{result=\"plaintext\"}");
    } finally {
      Files.deleteIfExists(conf);
    }
  }

  interface Timed {
    long run();
  }

  static long median(Timed t) {
    long[] ms = new long[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
      ms[i] = t.run();
    }
    Arrays.sort(ms);
    return ms[ROUNDS / 2];
  }

  /** Time to the 220 greeting from a shell in the given namespace. */
  static long greeting(List<String> nsExec, String host) {
    List<String> cmd = new ArrayList<>(nsExec);
    cmd.addAll(
        List.of(
            "bash",
            "-c",
            "s=$(date +%s%N); exec 3<>/dev/tcp/"
                + host
                + "/2526; read -r -t 20 line <&3; e=$(date +%s%N); printf 'QUIT\\r\\n' >&3; echo"
                + " \"$line\"; echo $(( (e-s)/1000000 ))"));
    String[] lines = Sh.tryRun(cmd).output().strip().split("\n");
    assertThat(lines[0]).startsWith("220");
    return Long.parseLong(lines[lines.length - 1].strip());
  }
}
