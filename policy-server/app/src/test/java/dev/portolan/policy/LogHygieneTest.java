package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.Server;
import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.policy.index.Index;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * What clients send cannot forge or flood the server's log, nor come back whole in a status: it is
 * escaped and cut, repeated warnings are aggregated, and expected client errors leave no stack
 * trace. Over a real port, with real grpc-java clients.
 */
@ExtendWith(OutputCaptureExtension.class)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0"})
class LogHygieneTest {
  static final ManifestDir DIR = new ManifestDir("portolan-hygiene");
  static final String PATH = "small.hygiene.svc.cluster.local:80";

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Autowired GrpcServer grpc;
  @Autowired Index index;
  @Autowired MeterRegistry registry;
  ManagedChannel channel;
  DestinationGrpc.DestinationStub destination;

  @BeforeEach
  void connect() throws Exception {
    index.submit(Fleet.service("hygiene", "small", 1, 47));
    index.flush().get();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    destination = DestinationGrpc.newStub(channel);
  }

  @AfterEach
  void close() {
    channel.shutdownNow();
  }

  @Test
  void unreadable_context_tokens_are_counted_and_logged_once_per_interval_escaped_and_cut(
      CapturedOutput output) {
    double before = counter("portolan.context.token.errors");
    String marker = "FORGED-" + UUID.randomUUID();
    List<Recorder<Update>> answers = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      Recorder<Update> r = new Recorder<>();
      String token = "{oops\n" + marker + " INFO all is well " + "x".repeat(5_000);
      destination.get(GetDestination.newBuilder().setPath(PATH).setContextToken(token).build(), r);
      answers.add(r);
    }
    // Every request is still answered: the client counts as unknown.
    await().until(() -> answers.stream().allMatch(r -> r.last() != null));
    assertThat(counter("portolan.context.token.errors")).isEqualTo(before + 30);

    List<String> lines = output.getAll().lines().filter(l -> l.contains("context token")).toList();
    assertThat(lines).hasSize(1);
    assertThat(output.getAll().lines()).noneMatch(l -> l.startsWith(marker));
    assertThat(lines.getFirst().length()).isLessThan(600);
  }

  @Test
  void bad_requests_get_a_short_escaped_message_and_leave_no_stack_trace(CapturedOutput output) {
    String marker = "FORGED-" + UUID.randomUUID();
    Recorder<Update> get = new Recorder<>();
    destination.get(
        GetDestination.newBuilder()
            .setPath("evil\n" + marker + "y".repeat(10_000) + ".svc.cluster.local:80")
            .build(),
        get);
    Recorder<Server> watch = new Recorder<>();
    InboundServerPoliciesGrpc.newStub(channel)
        .watchPort(
            PortSpec.newBuilder()
                .setWorkload(
                    "{\"ns\":\"a\",\"bad\\n" + marker + "\":\"" + "z".repeat(10_000) + "\"}")
                .setPort(80)
                .build(),
            watch);
    await().until(() -> get.error() != null && watch.error() != null);

    for (Status s : List.of(get.status(), watch.status())) {
      assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(s.getDescription()).doesNotContain("\n").hasSizeLessThan(400);
    }
    assertThat(ours(output)).doesNotContain("\tat ");
  }

  @Test
  void an_oversize_request_leaves_no_stack_trace(CapturedOutput output) {
    Recorder<Update> r = new Recorder<>();
    destination.get(GetDestination.newBuilder().setPath("w".repeat(5 << 20)).build(), r);
    await().until(() -> r.error() != null);
    // A later request on the same connection is served: the refusal was handled in order.
    Recorder<Update> ok = new Recorder<>();
    destination.get(GetDestination.newBuilder().setPath(PATH).build(), ok);
    await().until(() -> ok.last() != null);
    assertThat(ours(output)).doesNotContain("\tat ").doesNotContain("Exception");
  }

  /**
   * The captured output without the records of vert.x's blocked-thread checker: the fabric8 mock
   * API server of an earlier test class in this JVM (ChartInstallTest's) can keep its event loop
   * blocked for ~30 s in {@code WatchEventsListener.onClosed} after its client went away, and the
   * checker prints a stack trace each second into whatever test runs then. Every other record, ours
   * and the libraries' we call, is kept.
   */
  private static String ours(CapturedOutput output) {
    StringBuilder kept = new StringBuilder();
    boolean skipping = false;
    for (String line : output.getAll().lines().toList()) {
      boolean record = RECORD_START.matcher(line).lookingAt();
      if (record) {
        skipping = line.contains("i.vertx.core.impl.BlockedThreadChecker");
      }
      if (!skipping) {
        kept.append(line).append('\n');
      }
    }
    return kept.toString();
  }

  /** A log record's first line starts with its ISO timestamp; a stack trace's lines do not. */
  private static final Pattern RECORD_START = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T");

  private double counter(String name) {
    Counter c = registry.find(name).counter();
    return c == null ? 0 : c.count();
  }
}
