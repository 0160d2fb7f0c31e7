package dev.portolan.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProxyConfigTest {

  @Test
  void defaults_need_no_environment() {
    ProxyConfig c = ProxyConfig.fromEnv(Map.of("PORTOLAN_TRANSPORT", "epoll"));
    assertThat(c.serviceAccount()).isEqualTo("default");
    assertThat(c.logLevel()).isEqualTo(LogLevel.INFO);
    assertThat(c.inboundPort()).isEqualTo(4143);
    assertThat(c.outboundPort()).isEqualTo(4140);
    assertThat(c.adminPort()).isEqualTo(4191);
    assertThat(c.nativeRelay()).isTrue();
  }

  @Test
  void the_shutdown_grace_is_thirty_seconds_unless_set_and_never_negative() {
    assertThat(ProxyConfig.fromEnv(Map.of()).shutdownGrace())
        .isEqualTo(java.time.Duration.ofSeconds(30));
    assertThat(ProxyConfig.fromEnv(Map.of("PORTOLAN_SHUTDOWN_GRACE", "2500ms")).shutdownGrace())
        .isEqualTo(java.time.Duration.ofMillis(2500));
    assertThatThrownBy(() -> ProxyConfig.fromEnv(Map.of("PORTOLAN_SHUTDOWN_GRACE", "-5s")))
        .hasMessageContaining("PORTOLAN_SHUTDOWN_GRACE='-5s' is negative");
    assertThatThrownBy(() -> ProxyConfig.fromEnv(Map.of("PORTOLAN_SHUTDOWN_GRACE", "soon")))
        .hasMessageContaining("PORTOLAN_SHUTDOWN_GRACE='soon' is not a duration");
  }

  @Test
  void the_task_quantum_is_two_milliseconds_unless_set_and_at_least_one() {
    assertThat(ProxyConfig.fromEnv(Map.of()).taskQuantum())
        .isEqualTo(java.time.Duration.ofMillis(2));
    assertThat(ProxyConfig.fromEnv(Map.of("PORTOLAN_TASK_QUANTUM", "1s")).taskQuantum())
        .isEqualTo(java.time.Duration.ofSeconds(1));
    assertThatThrownBy(() -> ProxyConfig.fromEnv(Map.of("PORTOLAN_TASK_QUANTUM", "0ms")))
        .hasMessageContaining("PORTOLAN_TASK_QUANTUM='0ms' must be at least 1ms");
    assertThatThrownBy(() -> ProxyConfig.fromEnv(Map.of("PORTOLAN_TASK_QUANTUM", "often")))
        .hasMessageContaining("PORTOLAN_TASK_QUANTUM='often' is not a duration");
  }

  @Test
  void identity_is_off_unless_set_and_the_transport_settings_have_defaults() {
    assertThat(ProxyMain.identityConfigOf(Map.of()).mode())
        .isEqualTo(dev.portolan.proxy.identity.IdentityConfig.Mode.DISABLED);
    assertThat(ProxyMain.identityConfigOf(Map.of("PORTOLAN_IDENTITY", "plaintext")).mode())
        .isEqualTo(dev.portolan.proxy.identity.IdentityConfig.Mode.PLAINTEXT);
    ProxyConfig c = ProxyConfig.fromEnv(Map.of());
    assertThat(c.transportHeaderTimeout()).isEqualTo(java.time.Duration.ofSeconds(10));
    assertThat(c.skipInboundPorts().isEmpty()).isTrue();
    ProxyConfig set =
        ProxyConfig.fromEnv(
            Map.of(
                "PORTOLAN_SKIP_INBOUND_PORTS", "25,8000-8010",
                "PORTOLAN_TRANSPORT_HEADER_TIMEOUT", "2s"));
    assertThat(set.skipInboundPorts().contains(8005)).isTrue();
    assertThat(set.skipInboundPorts().contains(6379)).isFalse();
    assertThat(set.transportHeaderTimeout()).isEqualTo(java.time.Duration.ofSeconds(2));
    assertThatThrownBy(
            () -> ProxyConfig.fromEnv(Map.of("PORTOLAN_SKIP_INBOUND_PORTS", "twenty-five")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("PORTOLAN_SKIP_INBOUND_PORTS: ");
  }

  @Test
  void the_relay_is_auto_or_netty_and_a_bad_value_is_named() {
    assertThat(ProxyConfig.fromEnv(Map.of("PORTOLAN_RELAY", " Netty ")).nativeRelay()).isFalse();
    assertThat(ProxyConfig.fromEnv(Map.of("PORTOLAN_RELAY", "auto")).nativeRelay()).isTrue();
    assertThatThrownBy(() -> ProxyConfig.fromEnv(Map.of("PORTOLAN_RELAY", "splice")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PORTOLAN_RELAY: 'splice' is not one of auto, netty");
  }

  @Test
  void the_loopback_leg_runs_reno_unless_told_otherwise_and_a_bad_name_is_named() {
    assertThat(ProxyConfig.fromEnv(Map.of()).loopbackCongestion()).isEqualTo("reno");
    assertThat(
            ProxyConfig.fromEnv(Map.of("PORTOLAN_LOOPBACK_CONGESTION", "kernel"))
                .loopbackCongestion())
        .isEmpty();
    assertThat(
            ProxyConfig.fromEnv(Map.of("PORTOLAN_LOOPBACK_CONGESTION", "cubic"))
                .loopbackCongestion())
        .isEqualTo("cubic");
    assertThatThrownBy(
            () -> ProxyConfig.fromEnv(Map.of("PORTOLAN_LOOPBACK_CONGESTION", "reno cubic")))
        .hasMessageStartingWith("PORTOLAN_LOOPBACK_CONGESTION: 'reno cubic' is not");
  }

  @Test
  void identity_and_log_level_come_from_the_environment() {
    ProxyConfig c =
        ProxyConfig.fromEnv(
            Map.of(
                "PORTOLAN_TRANSPORT", "epoll",
                "PORTOLAN_NAMESPACE", "shop",
                "PORTOLAN_POD", "web-0",
                "PORTOLAN_SERVICE_ACCOUNT", "web",
                "PORTOLAN_LOG_LEVEL", " Debug "));
    assertThat(c.namespace()).isEqualTo("shop");
    assertThat(c.pod()).isEqualTo("web-0");
    assertThat(c.serviceAccount()).isEqualTo("web");
    assertThat(c.logLevel()).isEqualTo(LogLevel.DEBUG);
  }

  @Test
  void log_levels_accept_the_usual_names() {
    assertThat(LogLevel.parse("warning")).isEqualTo(LogLevel.WARN);
    assertThat(LogLevel.parse("TRACE")).isEqualTo(LogLevel.TRACE);
    assertThat(LogLevel.parse("")).isEqualTo(LogLevel.INFO);
    assertThatThrownBy(() -> LogLevel.parse("loud"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PORTOLAN_LOG_LEVEL: 'loud' is not one of error, warn, info, debug, trace");
  }

  @Test
  void bad_numbers_and_durations_name_the_variable() {
    assertThatThrownBy(() -> ProxyConfig.fromEnv(Map.of("PORTOLAN_ADMIN_PORT", "41x91")))
        .hasMessage("PORTOLAN_ADMIN_PORT='41x91' is not a number");
    assertThatThrownBy(() -> ProxyConfig.fromEnv(Map.of("PORTOLAN_DETECT_TIMEOUT", "soon")))
        .hasMessageStartingWith("PORTOLAN_DETECT_TIMEOUT='soon' is not a duration");
  }

  @Test
  void a_bad_setting_stops_the_proxy_with_status_2_naming_it()
      throws IOException, InterruptedException {
    Run r = run(Map.of("PORTOLAN_LOG_LEVEL", "loud"));
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.output())
        .contains("portolan-proxy: PORTOLAN_LOG_LEVEL: 'loud' is not one of error, warn, info");
  }

  @Test
  void the_one_optional_argument_is_exit_when_ready_or_train_and_anything_else_is_named() {
    assertThat(ProxyMain.modeOf(new String[0])).isEqualTo(ProxyMain.Mode.SERVE);
    assertThat(ProxyMain.modeOf(new String[] {"--exit-when-ready"}))
        .isEqualTo(ProxyMain.Mode.EXIT_WHEN_READY);
    assertThat(ProxyMain.modeOf(new String[] {"--train"})).isEqualTo(ProxyMain.Mode.TRAIN);
    assertThatThrownBy(() -> ProxyMain.modeOf(new String[] {"--exit-when-ready", "-v"}))
        .hasMessageStartingWith("unknown argument '-v'");
    assertThatThrownBy(() -> ProxyMain.modeOf(new String[] {"--record"}))
        .hasMessageStartingWith("unknown argument '--record'");
  }

  // Loopback only, on ports the kernel picks; no policy-server behind 127.0.0.1:1.
  private static final Map<String, String> LOOPBACK =
      Map.of(
          "PORTOLAN_BIND_ADDRESS", "127.0.0.1",
          "PORTOLAN_INBOUND_PORT", "0",
          "PORTOLAN_OUTBOUND_PORT", "0",
          "PORTOLAN_ADMIN_PORT", "0",
          "PORTOLAN_POLICY_SERVER", "127.0.0.1:1");

  @Test
  void exit_when_ready_starts_the_proxy_then_stops_it_with_status_0()
      throws IOException, InterruptedException {
    Run r = run(LOOPBACK, "--exit-when-ready");
    assertThat(r.status()).as(r.output()).isZero();
    assertThat(r.output()).contains("portolan-proxy ready: inbound=0 outbound=0 admin=0");

    Run bad = run(LOOPBACK, "--record");
    assertThat(bad.status()).isEqualTo(2);
    assertThat(bad.output()).contains("portolan-proxy: unknown argument '--record'");
  }

  @Test
  void train_sends_every_kind_of_traffic_through_the_proxy_then_stops_it_with_status_0()
      throws IOException, InterruptedException {
    // Leak detection on, as in the test bed: a buffer the training paths leak fails the run.
    Run r = run(LOOPBACK, "--train");
    assertThat(r.status()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("portolan-proxy ready:")
        .containsPattern(
            "portolan-proxy training: 2000 exchanges each of HTTP/1.1, HTTP/2 and TCP through the"
                + " proxy; the first of each took \\d+, \\d+ and \\d+ µs")
        .doesNotContain("LEAK");
  }

  private record Run(int status, String output) {}

  /** Runs the proxy's main in a JVM of its own with {@code env}; waits for it to end. */
  private static Run run(Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED",
                "-Dio.netty.leakDetection.level=paranoid",
                "-cp",
                System.getProperty("java.class.path"),
                ProxyMain.class.getName()));
    cmd.addAll(List.of(args));
    // Output to a file, so that a proxy that does not stop fails the wait instead of blocking it.
    Path out = Files.createTempFile("proxy-main", ".out");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      boolean ended = p.waitFor(30, TimeUnit.SECONDS);
      String text = Files.readString(out, StandardCharsets.UTF_8);
      assertThat(ended).as("the proxy ended; its output:%n%s", text).isTrue();
      return new Run(p.exitValue(), text);
    } finally {
      Files.deleteIfExists(out);
      p.destroyForcibly();
    }
  }
}
