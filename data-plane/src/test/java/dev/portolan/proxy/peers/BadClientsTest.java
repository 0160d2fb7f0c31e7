package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Clients that misbehave on a port where the proxies detect (7000: in no opaque list) affect only
 * their own connection: a garbage first segment, a slowloris sending a byte a second, and a client
 * that connects and says nothing — while redis-benchmark on the same port keeps working.
 */
class BadClientsTest {
  static final String SERVER = "10.244.77.51";

  @Test
  void misbehaving_clients_affect_only_their_own_connections() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.50", true, "", "")
            .pod("server", SERVER, true, "", "{name: redis, containerPort: 7000}")
            .start()) {
      Redis.server(bed, "server", 7000);
      List<JavaProcess> bad = new ArrayList<>();
      bad.add(client(bed, "head -c 4096 /dev/urandom >&3; cat <&3 >/dev/null"));
      bad.add(
          client(
              bed,
              "for c in G E T ' ' / x; do printf %s \"$c\" >&3; sleep 1; done; cat <&3 >/dev/null"));
      bad.add(client(bed, "cat <&3 >/dev/null"));
      try {
        Redis.benchmark(bed, "client", SERVER, 7000, 2000);
        String metrics = bed.pod("client").metrics();
        assertThat(metrics).contains("outbound_tcp_detect_results_total{result=\"tcp\"}");
        // The slow and the silent client are still connected (redis answers garbage with an error
        // and closes that one itself: its choice, and only that connection's fate).
        assertThat(bad.get(1).isAlive()).isTrue();
        assertThat(bad.get(2).isAlive()).isTrue();
      } finally {
        bad.forEach(JavaProcess::close);
      }
      // The proxies are still fine afterwards.
      Redis.benchmark(bed, "client", SERVER, 7000, 500);
    }
  }

  @Test
  void a_refused_upstream_closes_the_client_connection_and_is_counted() throws Exception {
    Sh.assumeRootWith("curl");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.50", true, "", "")
            .pod("server", SERVER, true, "", "{name: nothing, containerPort: 7001}")
            .start()) {
      // Nothing listens on 7001: the server's proxy cannot connect to the app and closes.
      String out =
          bed.pod("client")
              .run("bash", "-c", "exec 3<>/dev/tcp/" + SERVER + "/7001 && (cat <&3; echo closed)");
      assertThat(out).contains("closed");
      assertThat(bed.pod("server").metrics())
          .contains(
              "tcp_close_total{direction=\"inbound\",target_addr=\""
                  + SERVER
                  + ":7001\",peer=\"src\",tls=\"disabled\",errno=\"connect_failed\"} 1");
    }
  }

  @Test
  void a_direct_plaintext_connection_to_the_inbound_port_is_refused_and_counted() throws Exception {
    Sh.assumeRootWith();
    try (TestBed bed =
        new TestBed()
            .pod("bare", "10.244.77.52", false, "", "")
            .pod("server", SERVER, true, "", "")
            .start()) {
      // Opaque transport needs mTLS and a transport header (not served yet): a plaintext peer
      // dialling 4143 itself is closed before anything is read, and the refusal is counted.
      String out =
          bed.pod("bare")
              .run(
                  "bash",
                  "-c",
                  "exec 3<>/dev/tcp/"
                      + SERVER
                      + "/4143; printf 'hello' >&3; timeout 20 cat <&3; echo \"exit=$?\"");
      // Closed by the proxy (a FIN, or a reset as the bytes sent were never read), not by timeout.
      assertThat(out).containsPattern("exit=[01]\\b");
      assertThat(bed.pod("server").metrics())
          .contains(
              "transport_header_connections_total{direction=\"inbound\",target_addr=\""
                  + SERVER
                  + ":4143\",peer=\"src\",tls=\"disabled\",result=\"refused_plaintext\"} 1");
    }
  }

  @Test
  void an_idle_connection_is_closed_after_the_idle_timeout() throws Exception {
    Sh.assumeRootWith("redis-server");
    try (TestBed bed =
        new TestBed()
            .proxyEnv(Map.of("PORTOLAN_IDLE_TIMEOUT", "2s"))
            .pod("client", "10.244.77.50", true, "", "")
            .pod("server", SERVER, true, "", "{name: redis, containerPort: 6379}")
            .start()) {
      Redis.server(bed, "server", 6379);
      // One PING, then silence: the proxies close the pair once it has been idle 2 s.
      String out =
          bed.pod("client")
              .run(
                  "bash",
                  "-c",
                  "exec 3<>/dev/tcp/"
                      + SERVER
                      + "/6379; printf 'PING\\r\\n' >&3; timeout 20 cat <&3; echo \"exit=$?\"");
      assertThat(out).contains("+PONG").contains("exit=0");
      assertThat(bed.pod("client").metrics())
          .contains(
              "tcp_close_total{direction=\"outbound\",target_addr=\""
                  + SERVER
                  + ":6379\",peer=\"src\",tls=\"disabled\",errno=\"\"} 1");
    }
  }

  private static JavaProcess client(TestBed bed, String script) {
    List<String> cmd = new ArrayList<>(bed.pod("client").ns().exec());
    cmd.addAll(List.of("bash", "-c", "exec 3<>/dev/tcp/" + SERVER + "/7000; " + script));
    return JavaProcess.command(cmd, Map.of());
  }
}
