package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An HTTP {@code CONNECT} through a real forward proxy (tinyproxy) on an unmarked port: detected as
 * HTTP/1, then the tunnel carries redis bytes both ways, across three meshed pods.
 */
class ConnectTunnelTest {
  static final String TINYPROXY = "10.244.77.101";
  static final String REDIS = "10.244.77.102";

  @Test
  void connect_tunnel_carries_bytes_both_ways_after_http_detection() throws Exception {
    Sh.assumeRootWith("tinyproxy", "redis-server", "curl");
    // The inbound proxy hands connections to the app from 127.0.0.1, so that is who tinyproxy sees.
    Path conf = Files.createTempFile("portolan-tinyproxy", ".conf");
    Files.writeString(
        conf,
        """
        Port 8888
        Listen 0.0.0.0
        Timeout 30
        MaxClients 20
        Allow 127.0.0.1
        Allow 10.244.77.0/24
        ConnectPort 6379
        LogLevel Info
        """);
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.100", true, "", "")
            .pod("tinyproxy", TINYPROXY, true, "", "{name: http-proxy, containerPort: 8888}")
            .pod("redis", REDIS, true, "", "{name: redis, containerPort: 6379}")
            .start()) {
      Redis.server(bed, "redis", 6379);
      bed.background("tinyproxy", "tinyproxy", "-d", "-c", conf.toString());
      List<String> probe = new ArrayList<>(bed.pod("tinyproxy").ns().exec());
      probe.addAll(List.of("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8888"));
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(20))
          .until(() -> Sh.tryRun(probe).exit() == 0);

      // QUIT: redis answers, then closes, and the close comes back through the tunnel, so curl
      // ends as soon as the answers are in; --max-time only bounds a tunnel that never answers
      // (three cold proxies on a loaded node took more than 3 s for the first exchange).
      String out =
          bed.pod("client")
              .run(
                  "bash",
                  "-c",
                  "printf 'PING\\r\\nECHO tunnel\\r\\nQUIT\\r\\n' | curl -s --max-time 20 -p -x"
                      + " http://"
                      + TINYPROXY
                      + ":8888 telnet://"
                      + REDIS
                      + ":6379 || true");
      assertThat(out).contains("+PONG").contains("tunnel");
      assertThat(bed.pod("client").metrics())
          .contains("outbound_tcp_detect_results_total{result=\"http/1\"} 1");
      assertThat(bed.pod("tinyproxy").metrics())
          .contains("inbound_tcp_detect_results_total{result=\"http/1\"} 1")
          .contains(
              "tcp_open_total{direction=\"outbound\",target_addr=\""
                  + REDIS
                  + ":6379\",peer=\"src\",tls=\"disabled\"}");
    } finally {
      Files.deleteIfExists(conf);
    }
  }
}
