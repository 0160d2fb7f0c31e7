package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Detection after the server-first window (docs/proxy.md, "Detection and server-speaks-first"):
 * clients that connect and stay silent longer than the window, as pools that open connections ahead
 * of use do, then speak first. One bed for the three cases; counts are compared before and after
 * each.
 */
class LateClientDetectionTest {
  static final String CLIENT = "10.244.77.70";
  static final String PLAIN = "10.244.77.71";
  static final String CACHE = "10.244.77.74";
  static final String WEB = "10.96.77.70";
  private static TestBed bed;

  @BeforeAll
  static void start() throws Exception {
    Sh.assumeRootWith("nginx", "memcached", "redis-server");
    bed =
        new TestBed()
            .pod("client", CLIENT, true, "", "")
            .pod("plain", PLAIN, false, "", "")
            .pod("web-0", "10.244.77.72", true, "", "{name: http, containerPort: 8080}")
            .pod("web-1", "10.244.77.73", true, "", "{name: http, containerPort: 8080}")
            .pod(
                "cache",
                CACHE,
                true,
                "",
                "{name: memcache, containerPort: 11311}, {name: redis, containerPort: 6390}")
            .service("web", "web", WEB, 80, 8080)
            // The port's protocol is left to detection; the deadline is the install's, short here.
            .server("cache-redis", "cache", 6390, "unknown")
            .policyServerArgs("--portolan.detect-timeout=1s")
            .start();
    for (String pod : new String[] {"web-0", "web-1"}) {
      Nginx.start(bed, pod, pod, 1_000);
    }
    bed.background(
            "cache", "memcached", "-u", "nobody", "-l", "0.0.0.0", "-p", "11311", "-U", "0", "-vv")
        .awaitContaining("server listening");
    Redis.server(bed, "cache", 6390);
  }

  @AfterAll
  static void stop() {
    if (bed != null) {
      bed.close();
    }
  }

  @Test
  void an_http_client_that_waits_500_ms_is_proxied_as_http_and_balanced_per_request()
      throws Exception {
    String before = bed.pod("client").metrics();
    String out =
        script(
            "client",
            WEB,
            80,
            4,
            "sleep:500",
            "repeat:25",
            "send:GET / HTTP/1.1\\r\\nHost: web\\r\\n\\r\\n",
            "expect:web-",
            "expect:\\n");
    assertThat(out).contains("script done 4/4");
    String after = bed.pod("client").metrics();
    assertThat(
            count(after, "outbound_tcp_detect_results_total\\{result=\"http/1\"\\}")
                - count(before, "outbound_tcp_detect_results_total\\{result=\"http/1\"\\}"))
        .as("connections detected as HTTP/1 after the window")
        .isEqualTo(4);
    assertThat(after)
        .contains(
            "request_total{direction=\"outbound\",target_addr=\""
                + WEB
                + ":80\",peer=\"src\","
                + "tls=\"disabled\"} 100");
    // Balanced request by request: both endpoints answered, over four client connections.
    for (String pod : new String[] {"web-0", "web-1"}) {
      assertThat(bed.pod(pod).metrics())
          .as(pod)
          .containsPattern("request_total\\{direction=\"inbound\"[^}]*:8080\"[^}]*\\} \\d+");
    }
  }

  @Test
  void a_memcached_client_that_speaks_after_2_s_works_and_is_counted_tcp() throws Exception {
    String before = bed.pod("client").metrics();
    String out =
        script(
            "client",
            CACHE,
            11311,
            2,
            "sleep:2000",
            "send:set k 0 0 5\\r\\nhello\\r\\n",
            "expect:STORED\\r\\n",
            "send:get k\\r\\n",
            "expect:END\\r\\n");
    assertThat(out).contains("script done 2/2").contains("VALUE k 0 5").contains("hello");
    String after = bed.pod("client").metrics();
    assertThat(delta(before, after, "outbound_tcp_detect_results_total\\{result=\"tcp\"\\}"))
        .as("decided by its bytes, not the deadline")
        .isEqualTo(2);
    assertThat(
            delta(before, after, "outbound_tcp_detect_results_total\\{result=\"server_first\"\\}"))
        .as("memcached never speaks first")
        .isZero();
    assertThat(after)
        .containsPattern(
            "tcp_open_total\\{[^}]*target_addr=\"" + Pattern.quote(CACHE) + ":11311\"");
  }

  @Test
  void the_detection_deadline_falls_back_to_tcp_after_the_short_timeout_of_the_port()
      throws Exception {
    // A first connection makes the cache's proxy learn the port's policy (and its 1 s deadline):
    // a connection that arrived before it would wait for the policy, then fall back to the
    // proxy's own 10 s.
    assertThat(script("plain", CACHE, 6390, 1, "send:PING\\r\\n", "expect:+PONG"))
        .contains("script done 1/1");
    String before = bed.pod("cache").metrics();
    // "PIN" could still become an HTTP request line: detection waits for the install's 1 s
    // deadline, relays it as TCP, and redis answers the inline PING once the rest arrives.
    String out =
        script("plain", CACHE, 6390, 1, "send:PIN", "sleep:3000", "send:G\\r\\n", "expect:+PONG");
    assertThat(out).contains("script done 1/1");
    String after = bed.pod("cache").metrics();
    assertThat(
            delta(before, after, "inbound_tcp_detect_results_total\\{result=\"read_timeout\"\\}"))
        .isEqualTo(1);
  }

  private static String script(String pod, String host, int port, int connections, String... steps)
      throws Exception {
    String[] args = new String[3 + steps.length];
    args[0] = host;
    args[1] = Integer.toString(port);
    args[2] = Integer.toString(connections);
    System.arraycopy(steps, 0, args, 3, steps.length);
    JavaProcess p = bed.javaIn(pod, ScriptedClient.class, args);
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> p.output().contains("script done") || !p.isAlive());
    System.out.println(p.output());
    return p.output();
  }

  private static long delta(String before, String after, String series) {
    return count(after, series) - count(before, series);
  }

  /** The value of one series, 0 when absent. */
  private static long count(String metrics, String series) {
    Matcher m = Pattern.compile("(?m)^" + series + " (\\d+)$").matcher(metrics);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }
}
