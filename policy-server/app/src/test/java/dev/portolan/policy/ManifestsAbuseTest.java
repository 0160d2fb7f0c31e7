package dev.portolan.policy;

import static dev.portolan.policy.Yaml.docs;
import static dev.portolan.policy.Yaml.namespace;
import static dev.portolan.policy.Yaml.pod;
import static dev.portolan.policy.Yaml.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.policy.grpc.GrpcServer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Hostile manifest files against the real server: each fails alone, shows on {@code
 * /actuator/manifests} and in readiness (which stays UP), and an edit to another file is still
 * served over gRPC within about a second.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "portolan.grpc.port=0",
      "portolan.manifests.reload-quiet-period=20ms",
      "management.endpoint.health.show-details=always"
    })
class ManifestsAbuseTest {
  static final ManifestDir DIR = new ManifestDir("portolan-abuse");
  static final AtomicInteger EDITS = new AtomicInteger();

  static {
    DIR.write(
        "00.yaml",
        docs(
            namespace("abuse", null),
            service("abuse", "app", "app", "10.96.9.1", 80, "http"),
            pod("abuse", "app-0", "app", "10.42.9.200", "http", 8080)));
  }

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  /** Each writes one hostile file; {@code reason} is a word its reported reason must contain. */
  enum BadInput {
    ALIAS_BOMB("alias", w -> write(w, aliasBomb())),
    SCALAR_50_MB("limit", ManifestsAbuseTest::writeHugeScalar),
    DOCUMENTS_100_000("documents", ManifestsAbuseTest::writeManyDocuments);

    final String reason;
    final Consumer<Writer> content;

    BadInput(String reason, Consumer<Writer> content) {
      this.reason = reason;
      this.content = content;
    }
  }

  @Autowired Environment env;
  @Autowired GrpcServer grpc;
  static ManagedChannel channel;
  static Recorder<Update> stream;
  final HttpClient http = HttpClient.newHttpClient();
  final JsonMapper json = JsonMapper.builder().build();

  @BeforeAll
  static void subscribe(@Autowired GrpcServer grpc) {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    stream = new Recorder<>();
    DestinationGrpc.newStub(channel)
        .get(GetDestination.newBuilder().setPath("app.abuse.svc.cluster.local:80").build(), stream);
    await().until(() -> stream.last() != null && stream.last().hasAdd());
  }

  @AfterAll
  static void close() {
    channel.shutdownNow();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(BadInput.class)
  void a_hostile_file_fails_alone_and_another_edit_is_served_within_a_second(BadInput bad)
      throws Exception {
    String badName = "50-" + bad.name().toLowerCase() + ".yaml";
    writeAtomically(badName, bad.content);
    int n = EDITS.incrementAndGet();
    int ip = (10 << 24) | (42 << 16) | (9 << 8) | n;
    long start = System.nanoTime();
    DIR.write(
        "20-app-" + n + ".yaml", pod("abuse", "app-" + n, "app", "10.42.9." + n, "http", 8080));

    await().atMost(Duration.ofSeconds(10)).until(() -> received(ip));
    System.out.printf(
        "%s: an edit to another file served over gRPC %d ms after it was written%n",
        bad, (System.nanoTime() - start) / 1_000_000);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> {
          JsonNode status = json.readTree(fetch("/actuator/manifests").body());
          assertThat(status.path("errors"))
              .anySatisfy(e -> {
                assertThat(e.path("file").asString()).endsWith(badName);
                assertThat(e.path("reason").asString()).contains(bad.reason);
              });
        });
    var readiness = fetch("/actuator/health/readiness");
    assertThat(readiness.statusCode()).isEqualTo(200);
    assertThat(json.readTree(readiness.body()).path("components").path("sources").toString())
        .contains("\"manifests\":true")
        .contains("1 file");

    assertThat(fetch("/actuator/prometheus").body())
        .containsPattern("portolan_manifests_failed_files\\{[^}]*} 1\\.0")
        .contains("portolan_manifests_watcher_restarts_total");

    DIR.delete(badName);
    await()
        .until(() -> json.readTree(fetch("/actuator/manifests").body()).path("errors").isEmpty());
  }

  private static boolean received(int ipv4) {
    return stream.values().stream()
        .filter(Update::hasAdd)
        .flatMap(u -> u.getAdd().getAddrsList().stream())
        .anyMatch(a -> a.getAddr().getIp().getIpv4() == ipv4);
  }

  private HttpResponse<String> fetch(String path) throws IOException, InterruptedException {
    URI uri = URI.create("http://127.0.0.1:" + env.getProperty("local.server.port") + path);
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Writes beside the directory, then moves into it, so the watcher never sees half a file. */
  private static void writeAtomically(String name, Consumer<Writer> content) throws IOException {
    Path tmp = Files.createTempFile(DIR.path().getParent(), "abuse", ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp)) {
      content.accept(w);
    }
    Files.move(tmp, DIR.path().resolve(name), StandardCopyOption.ATOMIC_MOVE);
  }

  private static void write(Writer w, String s) {
    try {
      w.write(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** 16 levels of 3 aliases each: 48 aliases (under 50) that stand for 3^17 strings. */
  static String aliasBomb() {
    StringBuilder b = new StringBuilder();
    b.append("apiVersion: v1\nkind: Pod\nmetadata: {name: bomb, namespace: abuse}\n");
    b.append("l0: &l0 [lol, lol, lol]\n");
    for (int i = 1; i < 16; i++) {
      String prev = "*l" + (i - 1);
      b.append("l%d: &l%d [%s, %s, %s]\n".formatted(i, i, prev, prev, prev));
    }
    b.append("l16: [*l15, *l15, *l15]\n");
    return b.toString();
  }

  private static void writeHugeScalar(Writer w) {
    write(w, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: huge, namespace: abuse}\n");
    write(w, "data:\n  k: ");
    String chunk = "a".repeat(1 << 20);
    for (int i = 0; i < 50; i++) {
      write(w, chunk);
    }
    write(w, "\n");
  }

  private static void writeManyDocuments(Writer w) {
    for (int i = 0; i < 100_000; i++) {
      write(w, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-" + i + "}\n");
    }
  }
}
