package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
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
  // The pod's own address: no discovery answer to wait for (its fallback is that address).
  private static final String WEB_H1 = WEB_IP + ":8080";
  private static final String WEB_H2 = WEB_IP + ":8081";

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
      // Connected before the signal, silent until the test creates this file after it.
      Path go = Files.createTempDirectory("portolan-shutdown").resolve("go");
      JavaProcess idle =
          bed.background(
              "client",
              "bash",
              "-c",
              "exec 3<>/dev/tcp/"
                  + REDIS_IP
                  + "/6379 && echo connected && while [ ! -e "
                  + go
                  + " ]; do sleep 0.1; done"
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
      java.util.concurrent.CompletableFuture<Long> shortExit =
          sigterm(shortGrace).onExit().thenApply(h -> System.nanoTime());
      // Each behaviour on its own (soft), so that a proxy without a drain shows all it misses.
      SoftAssertions soft = new SoftAssertions();
      soft.assertThat(readyAfterSignal(bed, "client")).as("/ready after SIGTERM").isEqualTo("503");
      soft.assertThat(status(bed, "client", "/live")).as("/live while draining").isEqualTo("200");
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
      soft.assertThat(fresh.output()).as("a new connection").contains("Connection refused");
      Files.writeString(go, "");
      soft.assertThat(lineOf(idle, "got=")).as("the idle connection").isEqualTo("got=+PONG");
      String done = lineOf(benchmark, "exit=");
      String out = benchmark.output().replace('\r', '\n');
      soft.assertThat(done).as("redis-benchmark's exit: " + out).isEqualTo("exit=0");
      soft.assertThat(out)
          .as("redis-benchmark")
          .contains("SET:")
          .doesNotContainIgnoringCase("error");

      // Nothing left: the proxy exits well before its 90 s grace.
      await().atMost(Duration.ofSeconds(30)).until(() -> !client.isAlive());
      soft.assertThat(client.output()).contains("portolan-proxy drained: no connection left");
      System.out.println(out + "\n" + drainLines(client));
      // The short grace ends with the held connection still open: closed, and the proxy exits.
      long exited = shortExit.get(20, java.util.concurrent.TimeUnit.SECONDS);
      soft.assertThat(Duration.ofNanos(exited - signalled))
          .as("the short grace is waited for")
          .isGreaterThan(Duration.ofSeconds(2));
      soft.assertThat(shortGrace.output())
          .contains("portolan-proxy drain: grace of 2000 ms over, closing the 1 connections left");
      soft.assertAll();
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
            .proxyEnv("client", Map.of("PORTOLAN_SHUTDOWN_GRACE", "60s"))
            .start()) {
      Nginx.start(bed, "web", "web", 1000);
      // Every request starts at once and takes about four seconds.
      JavaProcess h2load =
          bed.background(
              "client",
              "bash",
              "-c",
              "h2load -n 20 -c 2 -m 10 http://" + WEB_H2 + "/slow; echo exit=$?");
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
            return requests(m, WEB_H2) == 20 && requests(m, WEB_H1) == 1;
          });
      assertThat(h2load.output()).as("still running at the signal").doesNotContain("exit=");
      assertThat(curl.output()).as("still running at the signal").doesNotContain("exit=");

      JavaProcess client = bed.pod("client").proxy();
      sigterm(client);
      SoftAssertions soft = new SoftAssertions();
      soft.assertThat(readyAfterSignal(bed, "client")).as("/ready after SIGTERM").isEqualTo("503");
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
      soft.assertThat(fresh.exit()).as("a new connection: curl's couldn't connect").isEqualTo(7);
      soft.assertThat(lineOf(h2load, "exit=")).as("h2load's exit").isEqualTo("exit=0");
      soft.assertThat(h2load.output())
          .as("h2load")
          .contains("20 total, 20 started, 20 done, 20 succeeded, 0 failed, 0 errored");
      soft.assertThat(lineOf(curl, "exit=")).as("curl's exit").isEqualTo("exit=0");
      soft.assertThat(curl.output())
          .as("the HTTP/1 response")
          .containsIgnoringCase("connection: close")
          .contains("size=" + Nginx.SLOW_BYTES);

      await().atMost(Duration.ofSeconds(30)).until(() -> !client.isAlive());
      soft.assertThat(client.output()).contains("portolan-proxy drained: no connection left");
      System.out.println(h2load.output() + "\n" + curl.output() + "\n" + drainLines(client));
      soft.assertAll();
    }
  }

  /** SIGTERM to the proxy's JVM (the pod's prefix programs exec it, so this is usually its pid). */
  private static ProcessHandle sigterm(JavaProcess proxy) {
    ProcessHandle root = ProcessHandle.of(proxy.pid()).orElseThrow();
    ProcessHandle jvm =
        Stream.concat(Stream.of(root), root.descendants())
            .filter(h -> h.info().command().map(c -> c.endsWith("/java")).orElse(false))
            .findFirst()
            .orElseThrow();
    Sh.run("kill", "-TERM", Long.toString(jvm.pid()));
    return jvm;
  }

  /**
   * {@code /ready} once the signal was handled: it stops answering 200 (the JVM runs its shutdown
   * hook a moment after the signal); 503 with a drain, nothing at all ({@code 000}) without.
   */
  private static String readyAfterSignal(TestBed bed, String pod) {
    String[] last = {""};
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> !(last[0] = status(bed, pod, "/ready")).equals("200"));
    return last[0];
  }

  /** The first line starting with {@code prefix}, or what the process wrote if it never came. */
  private static String lineOf(JavaProcess p, String prefix) throws InterruptedException {
    try {
      return p.awaitLine(prefix);
    } catch (IllegalStateException e) {
      return "no line " + prefix + ": " + p.output();
    }
  }

  private static String drainLines(JavaProcess proxy) {
    return proxy
        .output()
        .lines()
        .filter(l -> l.contains("portolan-proxy drain"))
        .toList()
        .toString();
  }

  /** The admin server's status code for {@code path}; {@code 000} when nothing answers. */
  private static String status(TestBed bed, String pod, String path) {
    List<String> cmd = new java.util.ArrayList<>(bed.pod(pod).ns().exec());
    cmd.addAll(
        List.of(
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
            "http://127.0.0.1:4191" + path));
    return Sh.tryRun(cmd).output().strip();
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
