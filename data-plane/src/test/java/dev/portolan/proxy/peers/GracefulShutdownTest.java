package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to a client pod's proxy in the middle of real traffic (docs/proxy.md, <i>Shutdown</i>):
 * {@code /ready} answers 503 at once, a new connection is refused, and what was already going on
 * finishes: redis-benchmark's kept-alive connections (opaque) and an idle connection that speaks
 * only after the signal, an h2load run (GOAWAY, its streams served to the end) and an HTTP/1
 * request (answered with {@code Connection: close}). The proxy exits as soon as nothing is left, or
 * when its grace is over.
 */
class GracefulShutdownTest {
  private static final String REDIS_IP = "10.244.77.131";
  private static final String WEB_IP = "10.244.77.141";
  private static final String WEB_H1 = "10.96.78.20";
  private static final String WEB_H2 = "10.96.78.21";

  @Test
  void opaque_connections_finish_within_the_grace_and_nothing_new_gets_in() throws Exception {
    Sh.assumeRootWith("redis-server", "redis-benchmark", "bash", "timeout");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.130", true, "", "")
            .pod("short", "10.244.77.132", true, "", "")
            .pod("redis", REDIS_IP, true, "", "{name: redis, containerPort: 6379}")
            .proxyEnv("client", Map.of("PORTOLAN_SHUTDOWN_GRACE", "90s"))
            .proxyEnv("short", Map.of("PORTOLAN_SHUTDOWN_GRACE", "2s"))
            .start()) {
      Redis.server(bed, "redis", 6379);
      // Connected before the signal, silent until well after it.
      JavaProcess idle =
          bed.background(
              "client",
              "bash",
              "-c",
              "exec 3<>/dev/tcp/"
                  + REDIS_IP
                  + "/6379 && echo connected && sleep 4"
                  + " && printf 'PING\\r\\n' >&3 && read -t 10 line <&3 && echo \"got=$line\"");
      idle.awaitContaining("connected");
      JavaProcess held =
          bed.background(
              "short",
              "bash",
              "-c",
              "exec 3<>/dev/tcp/" + REDIS_IP + "/6379 && echo connected && sleep 60");
      held.awaitContaining("connected");
      JavaProcess benchmark =
          bed.background(
              "client",
              "bash",
              "-c",
              "timeout 120 redis-benchmark -h "
                  + REDIS_IP
                  + " -p 6379 -n 100000 -c 10 -t set -q; echo exit=$?");
      // All ten benchmark connections and the idle one are relayed.
      String[] last = {""};
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> {
              last[0] = bed.pod("client").metrics();
              return openConnections(last[0], REDIS_IP + ":6379") >= 11;
            });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError(
            "not 11 relayed connections; benchmark:\n" + benchmark.output() + "\n" + last[0], e);
      }
      assertThat(benchmark.output()).as("still running at the signal").doesNotContain("exit=");

      JavaProcess client = bed.pod("client").proxy();
      JavaProcess shortGrace = bed.pod("short").proxy();
      long signalled = System.nanoTime();
      sigterm(client);
      sigterm(shortGrace);
      client.awaitContaining("portolan-proxy draining:");

      assertThat(status(bed, "client", "/ready")).isEqualTo("503");
      assertThat(status(bed, "client", "/live")).isEqualTo("200");
      Sh.Result fresh =
          Sh.tryRun(
              List.of(
                  "ip",
                  "netns",
                  "exec",
                  bed.pod("client").ns().name(),
                  "bash",
                  "-c",
                  "exec 3<>/dev/tcp/" + REDIS_IP + "/6379"));
      assertThat(fresh.exit()).as(fresh.output()).isNotZero();
      assertThat(fresh.output()).contains("Connection refused");

      assertThat(idle.awaitContaining("got=")).isEqualTo("got=+PONG");
      String done = benchmark.awaitContaining("exit=");
      String out = benchmark.output().replace('\r', '\n');
      assertThat(done).as(out).isEqualTo("exit=0");
      assertThat(out).as(out).contains("SET:").doesNotContainIgnoringCase("error");

      // Nothing left: the proxy exits well before its 90 s grace.
      await().atMost(Duration.ofSeconds(30)).until(() -> !client.isAlive());
      assertThat(client.output()).contains("portolan-proxy drained: no connection left");
      System.out.println(out + "\n" + drainLines(client));
      // The short grace ends with the held connection still open: closed, and the proxy exits.
      await().atMost(Duration.ofSeconds(20)).until(() -> !shortGrace.isAlive());
      assertThat(Duration.ofNanos(System.nanoTime() - signalled))
          .isGreaterThan(Duration.ofSeconds(2));
      assertThat(shortGrace.output())
          .contains("portolan-proxy drain: grace of 2000 ms over, closing the 1 connections left");
      System.out.println(drainLines(shortGrace));
    }
  }

  @Test
  void http2_streams_and_an_http1_request_in_flight_are_answered_to_the_end() throws Exception {
    Sh.assumeRootWith("nginx", "curl", "h2load", "bash");
    try (TestBed bed =
        new TestBed()
            .pod("client", "10.244.77.140", true, "", "")
            .pod(
                "web",
                WEB_IP,
                true,
                "",
                "{name: http, containerPort: 8080}, {name: h2, containerPort: 8081}")
            .service("web", "web", WEB_H1, 80, 8080)
            .service("web-h2", "web", WEB_H2, 81, 8081)
            .proxyEnv("client", Map.of("PORTOLAN_SHUTDOWN_GRACE", "60s"))
            .start()) {
      Nginx.start(bed, "web", "web", 1000);
      // Every request starts at once and takes about four seconds.
      JavaProcess h2load =
          bed.background(
              "client",
              "bash",
              "-c",
              "h2load -n 20 -c 2 -m 10 http://" + WEB_H2 + ":81/slow; echo exit=$?");
      JavaProcess curl =
          bed.background(
              "client",
              "bash",
              "-c",
              "curl -s -D - -o /dev/null -w 'size=%{size_download}\\n' http://"
                  + WEB_H1
                  + "/slow; echo exit=$?");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> {
            String m = bed.pod("client").metrics();
            return requests(m, WEB_H2 + ":81") == 20 && requests(m, WEB_H1 + ":80") == 1;
          });
      assertThat(h2load.output()).as("still running at the signal").doesNotContain("exit=");
      assertThat(curl.output()).as("still running at the signal").doesNotContain("exit=");

      JavaProcess client = bed.pod("client").proxy();
      sigterm(client);
      client.awaitContaining("portolan-proxy draining:");
      assertThat(status(bed, "client", "/ready")).isEqualTo("503");
      Sh.Result fresh =
          Sh.tryRun(
              List.of(
                  "ip",
                  "netns",
                  "exec",
                  bed.pod("client").ns().name(),
                  "curl",
                  "-s",
                  "--max-time",
                  "5",
                  "http://" + WEB_H1 + "/"));
      assertThat(fresh.exit()).as("curl: couldn't connect").isEqualTo(7);

      assertThat(h2load.awaitContaining("exit=")).isEqualTo("exit=0");
      assertThat(h2load.output())
          .as(h2load.output())
          .contains("20 total, 20 started, 20 done, 20 succeeded, 0 failed, 0 errored");
      assertThat(curl.awaitContaining("exit=")).isEqualTo("exit=0");
      assertThat(curl.output())
          .as(curl.output())
          .containsIgnoringCase("connection: close")
          .contains("size=" + Nginx.SLOW_BYTES);

      await().atMost(Duration.ofSeconds(30)).until(() -> !client.isAlive());
      assertThat(client.output()).contains("portolan-proxy drained: no connection left");
      System.out.println(h2load.output() + "\n" + curl.output() + "\n" + drainLines(client));
    }
  }

  /** SIGTERM to the proxy's JVM (the pod's prefix programs exec it, so this is usually its pid). */
  private static void sigterm(JavaProcess proxy) {
    ProcessHandle root = ProcessHandle.of(proxy.pid()).orElseThrow();
    long pid =
        Stream.concat(Stream.of(root), root.descendants())
            .filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
            .findFirst()
            .orElseThrow()
            .pid();
    Sh.run("kill", "-TERM", Long.toString(pid));
  }

  private static String drainLines(JavaProcess proxy) {
    return proxy
        .output()
        .lines()
        .filter(l -> l.contains("portolan-proxy drain"))
        .toList()
        .toString();
  }

  private static String status(TestBed bed, String pod, String path) {
    return bed.pod(pod)
        .run(
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
            "http://127.0.0.1:4191" + path);
  }

  private static long openConnections(String metrics, String target) {
    return sample(metrics, "tcp_open_connections\\{direction=\"outbound\",target_addr=\"" + target);
  }

  private static long requests(String metrics, String target) {
    return sample(metrics, "request_total\\{direction=\"outbound\",target_addr=\"" + target);
  }

  private static long sample(String metrics, String prefix) {
    Matcher m = Pattern.compile("(?m)^" + prefix + "\"[^}]*} (\\d+)$").matcher(metrics);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }
}
