package dev.portolan.policy;

import static dev.portolan.policy.Yaml.docs;
import static dev.portolan.policy.Yaml.namespace;
import static dev.portolan.policy.Yaml.pod;
import static dev.portolan.policy.Yaml.server;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.Server;
import dev.portolan.policy.grpc.GrpcServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The actuator: explain with provenance, readiness, and Portolan's metrics. */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"portolan.grpc.port=0"})
class ActuatorTest {
  static final ManifestDir DIR = new ManifestDir("portolan-actuator");

  static {
    DIR.write(
        "all.yaml",
        docs(
            namespace("web", null),
            pod("web", "legacy-0", "legacy", "10.42.8.1", "tcp", 8000)
                .replace(
                    "  labels:",
                    "  annotations: {config.linkerd.io/opaque-ports: \"8000,abc-def,70000\"}\n  labels:"),
            pod("web", "old-0", "old", "10.42.8.2", "http", 80),
            pod("web", "guarded-0", "guarded", "10.42.8.3", "https", 8443)
                .replace(
                    "  labels:",
                    "  annotations: {config.linkerd.io/default-inbound-policy: open-to-all,"
                        + " config.linkerd.io/proxy-require-identity-inbound-ports: \"8443\"}\n"
                        + "  labels:"),
            server("web", "a-first", "old", "80", "HTTP/2")
                .replace(
                    "  namespace: web",
                    "  namespace: web\n  creationTimestamp: \"2025-01-01T00:00:00Z\""),
            server("web", "b-second", "old", "80", "opaque")
                .replace(
                    "  namespace: web",
                    "  namespace: web\n  creationTimestamp: \"2025-06-01T00:00:00Z\"")));
  }

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Autowired Environment env;
  @Autowired GrpcServer grpc;
  final HttpClient http = HttpClient.newHttpClient();
  final JsonMapper json = JsonMapper.builder().build();

  private HttpResponse<String> fetch(String path) throws IOException, InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + env.getProperty("local.server.port") + path);
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void explain_names_invalid_tokens_and_keeps_the_valid_ones() throws Exception {
    var res = fetch("/actuator/opaqueports/web/pod/legacy-0");
    assertThat(res.statusCode()).isEqualTo(200);
    JsonNode port = json.readTree(res.body()).path("ports").get(0);
    assertThat(port.path("port").asInt()).isEqualTo(8000);
    assertThat(port.path("protocol").asString()).isEqualTo("opaque");
    assertThat(port.path("provenance").path("source").asString()).isEqualTo("annotation");
    assertThat(port.path("invalidTokens")).hasSize(2);
    assertThat(port.path("invalidTokens").get(0).path("token").asString()).isEqualTo("abc-def");
    assertThat(port.path("invalidTokens").get(0).path("reason").asString())
        .isEqualTo("unknown port name");
    assertThat(port.path("invalidTokens").get(1).path("position").asInt()).isEqualTo(3);
  }

  @Test
  void explain_says_who_may_connect_and_where_that_came_from() throws Exception {
    JsonNode a =
        json.readTree(fetch("/actuator/opaqueports/web/pod/guarded-0").body())
            .path("ports")
            .get(0)
            .path("authorization");
    assertThat(a.path("policy").asString()).isEqualTo("all-unauthenticated");
    assertThat(a.path("source").path("source").asString()).isEqualTo("default");
    assertThat(a.path("requireIdentity").asBoolean()).isTrue();
    assertThat(a.path("summary").asString()).contains("meshed clients only");
    assertThat(a.path("invalidTokens").get(0).path("token").asString()).isEqualTo("open-to-all");
    assertThat(a.path("invalidTokens").get(0).path("reason").asString())
        .contains("not a default inbound policy");
  }

  @Test
  void explain_shows_the_winning_server_and_the_shadowed_one() throws Exception {
    JsonNode port =
        json.readTree(fetch("/actuator/opaqueports/web/pod/old-0").body()).path("ports").get(0);
    assertThat(port.path("protocol").asString()).isEqualTo("http2");
    assertThat(port.path("provenance").path("object").path("name").asString()).isEqualTo("a-first");
    assertThat(port.path("shadowedServers").get(0).path("name").asString()).isEqualTo("b-second");
  }

  @Test
  void explain_of_a_missing_object_is_404_and_a_bad_kind_400() throws Exception {
    assertThat(fetch("/actuator/opaqueports/web/pod/nope").statusCode()).isEqualTo(404);
    assertThat(fetch("/actuator/opaqueports/web/deployment/x").statusCode()).isEqualTo(400);
  }

  @Test
  void readiness_is_up_once_the_source_synced() throws Exception {
    var res = fetch("/actuator/health/readiness");
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.body()).contains("\"sources\"").contains("\"manifests\":true");
  }

  @Test
  void destinations_lists_open_streams_with_their_versions() throws Exception {
    ManagedChannel ch =
        ManagedChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    try {
      Recorder<Server> r = new Recorder<>();
      InboundServerPoliciesGrpc.newStub(ch)
          .watchPort(PortSpec.newBuilder().setWorkload("web:old-0").setPort(80).build(), r);
      await().until(() -> r.size() == 1);
      await()
          .until(() -> {
            JsonNode streams =
                json.readTree(fetch("/actuator/destinations").body()).path("streams");
            for (JsonNode st : streams) {
              if (st.path("key").asString().contains("old-0")
                  && st.path("api").asString().equals("inbound.watch")
                  && st.path("lastSentVersion").asLong() > 0) {
                return true;
              }
            }
            return false;
          });
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void prometheus_exposes_portolan_metrics() throws Exception {
    String body = fetch("/actuator/prometheus").body();
    assertThat(body)
        .contains("portolan_index_objects{")
        .contains("kind=\"pods\"")
        .contains("portolan_invalid_tokens_reported_total")
        .contains("portolan_propagation_latency_seconds");
  }
}
