package dev.portolan.policy.scenarios;

import static dev.portolan.policy.scenarios.Cluster.of;
import static dev.portolan.policy.scenarios.Cluster.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.LabelSelector;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.model.Provenance;
import dev.portolan.policy.model.ServerInfo;
import dev.portolan.policy.model.TokenReport;
import dev.portolan.policy.resolve.AnnotationCheck;
import dev.portolan.policy.resolve.Resolver;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A Server's {@code config.portolan.io/detect-timeout} (docs/design/sources-and-precedence.md,
 * <i>Detect timeout</i>): per-port timeout for the ports it selects when it detects.
 */
class DetectTimeoutScenariosTest {
  static final String KEY = "config.portolan.io/detect-timeout";
  static final String FIELD = "metadata.annotations[" + KEY + "]";
  static final Duration INSTALL = Duration.ofSeconds(10);

  final Resolver resolver = new Resolver(MeshSettings.defaults());
  final PodInfo web = pod("web-0").label("app", "web").port("http", 8080).port("db", 7000).build();

  static ServerInfo server(
      String name, String port, @Nullable String protocol, @Nullable String timeout) {
    return new ServerInfo(
        "ns",
        name,
        LabelSelector.of(Map.of("app", "web")),
        port,
        protocol,
        Instant.parse("2026-01-01T00:00:00Z"),
        timeout == null ? Map.of() : Map.of(KEY, timeout));
  }

  EffectiveProtocol inbound(Snapshot s, int port) {
    return resolver.inbound(s, s.pod("ns", "web-0"), port);
  }

  /** proxyProtocol (empty: absent), annotation value, expected timeout in ms (empty: none). */
  @ParameterizedTest
  @CsvSource({
    ",          300ms, 300",
    "unknown,   2s,    2000",
    "Unknown,   1m,    60000",
    "nonsense,  5ms,   5",
    ",          ,      10000",
  })
  void a_detecting_server_sets_the_timeout_of_its_port(
      @Nullable String protocol, @Nullable String timeout, long millis) {
    EffectiveProtocol e = inbound(of(web, server("web", "8080", protocol, timeout)), 8080);
    assertThat(e.protocol()).isEqualTo(new Protocol.Detect(Duration.ofMillis(millis)));
    assertThat(e.invalidTokens()).isEmpty();
    assertThat(e.provenance())
        .isEqualTo(
            new Provenance.ServerRule(
                ObjectRef.server("ns", "web"), protocol, timeout == null ? null : timeout));
  }

  @Test
  void the_provenance_says_where_the_timeout_came_from() {
    EffectiveProtocol e = inbound(of(web, server("web", "http", null, "300ms")), 8080);
    assertThat(e.provenance().summary())
        .isEqualTo("Server/ns/web spec.proxyProtocol=(unset), annotation " + KEY + "=\"300ms\"");
  }

  @Test
  void other_ports_keep_the_install_default() {
    Snapshot s = of(web, server("web", "8080", null, "300ms"));
    assertThat(inbound(s, 7000).protocol()).isEqualTo(new Protocol.Detect(INSTALL));
  }

  @ParameterizedTest
  @CsvSource({
    "500, not a duration",
    "1.5s, not a duration",
    "0ms, out of range",
    "2h, not a duration",
    "61m, out of range",
  })
  void a_malformed_value_is_reported_and_the_install_default_applies(String raw, String why) {
    EffectiveProtocol e = inbound(of(web, server("web", "8080", null, raw)), 8080);
    assertThat(e.protocol()).isEqualTo(new Protocol.Detect(INSTALL));
    assertThat(e.provenance())
        .isEqualTo(new Provenance.ServerRule(ObjectRef.server("ns", "web"), null, null));
    assertThat(e.invalidTokens()).singleElement().satisfies(t -> isReport(t, "web", raw, why));
  }

  @ParameterizedTest
  @CsvSource({"opaque, opaque", "HTTP/1, http1", "HTTP/2, http2", "gRPC, grpc", "TLS, tls"})
  void on_a_server_that_declares_a_protocol_the_value_is_ignored_and_reported(
      String proxyProtocol, String id) {
    EffectiveProtocol e = inbound(of(web, server("web", "8080", proxyProtocol, "300ms")), 8080);
    assertThat(e.protocol().id()).isEqualTo(id);
    assertThat(e.invalidTokens())
        .singleElement()
        .satisfies(
            t -> isReport(t, "web", "300ms", "ignored: the Server declares proxyProtocol " + id));
  }

  @Test
  void only_the_winning_server_decides_the_timeout() {
    ServerInfo older = server("older", "8080", null, "300ms");
    ServerInfo newer =
        new ServerInfo(
            "ns",
            "newer",
            LabelSelector.of(Map.of("app", "web")),
            "8080",
            null,
            Instant.parse("2026-06-01T00:00:00Z"),
            Map.of(KEY, "5s"));
    EffectiveProtocol e = inbound(of(web, newer, older), 8080);
    assertThat(e.protocol()).isEqualTo(new Protocol.Detect(Duration.ofMillis(300)));
    assertThat(e.shadowed()).containsExactly(ObjectRef.server("ns", "newer"));
  }

  @Test
  void the_server_itself_is_checked_when_it_changes() {
    assertThat(AnnotationCheck.check(server("ok", "8080", null, "300ms"))).isEmpty();
    assertThat(AnnotationCheck.check(server("none", "8080", "opaque", null))).isEmpty();
    assertThat(AnnotationCheck.check(server("bad", "8080", null, "soon")))
        .singleElement()
        .satisfies(t -> isReport(t, "bad", "soon", "not a duration"));
    assertThat(AnnotationCheck.check(server("opaque", "8080", "opaque", "1s")))
        .singleElement()
        .satisfies(t -> isReport(t, "opaque", "1s", "ignored"));
  }

  private static void isReport(TokenReport t, String server, String raw, String why) {
    assertThat(t.object()).isEqualTo(ObjectRef.server("ns", server));
    assertThat(t.field()).isEqualTo(FIELD);
    assertThat(t.token().token()).isEqualTo(raw.strip());
    assertThat(t.token().reason()).contains(why);
  }
}
