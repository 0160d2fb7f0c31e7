package dev.portolan.tools.cli.explain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.api.v1.DiagnosticsGrpc;
import dev.portolan.api.v1.ExplainRequest;
import dev.portolan.api.v1.ExplainResponse;
import dev.portolan.api.v1.InvalidToken;
import dev.portolan.api.v1.ObjectRef;
import dev.portolan.api.v1.PortExplanation;
import dev.portolan.api.v1.Provenance;
import dev.portolan.tools.cli.Portolan;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code portolan explain} against a real gRPC server on a loopback port that serves a canned
 * Diagnostics answer: the test is about the command's transport and its rendering, not about how
 * the policy-server works the answer out (policy-server/app's explain tests do that).
 */
class ExplainCommandTest {
  static final ObjectRef POD = ref("Pod", "shop", "db-0");
  static final ObjectRef NS = ref("Namespace", "shop", "shop");
  static final String OPAQUE = "metadata.annotations[config.linkerd.io/opaque-ports]";

  /** One port of every provenance the policy-server gives. */
  static final ExplainResponse DB_0 =
      ExplainResponse.newBuilder()
          .setObject(POD)
          .addPorts(
              port(8080, "detect")
                  .setDetectTimeoutMs(10_000)
                  .setProvenance(
                      prov("default", "defaultOpaquePorts")
                          .setRawValue("25,587,3306")
                          .setSummary("defaultOpaquePorts=25,587,3306")))
          .addPorts(
              port(5432, "opaque")
                  .setProvenance(
                      prov("annotation", OPAQUE)
                          .setObject(NS)
                          .setRawValue("5432,x")
                          .setSummary("..."))
                  .addInvalidTokens(
                      InvalidToken.newBuilder()
                          .setObject(NS)
                          .setField(OPAQUE)
                          .setPosition(2)
                          .setToken("x")
                          .setReason("not a port number or range")))
          .addPorts(
              port(9000, "opaque")
                  .setSkipped(true)
                  .setProvenance(prov("skip", "").setObject(POD).setRawValue("9000")))
          .addPorts(
              port(9090, "http2")
                  .setProvenance(
                      prov("server", "spec.proxyProtocol")
                          .setObject(ref("Server", "shop", "metrics")))
                  .addShadowed(ref("Server", "shop", "metrics-old")))
          .build();

  static final ExplainResponse DB_SERVICE =
      ExplainResponse.newBuilder()
          .setObject(ref("Service", "shop", "db"))
          .addPorts(
              port(80, "grpc")
                  .setTargetPort("grpc-api")
                  .setProvenance(
                      prov("appProtocol", "spec.ports[port=80].appProtocol")
                          .setObject(ref("Service", "shop", "db"))
                          .setRawValue("kubernetes.io/h2c")))
          .addPorts(
              port(5432, "opaque")
                  .setTargetPort("5432")
                  .setProvenance(
                      prov("derived", "")
                          .setObject(POD)
                          .setVia(prov("annotation", OPAQUE).setObject(NS).setRawValue("5432,x"))))
          .build();

  final List<ExplainRequest> received = new CopyOnWriteArrayList<>();
  Server server;
  String address;

  @BeforeEach
  void start() throws IOException {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(new CannedDiagnostics())
            .build()
            .start();
    address = "127.0.0.1:" + server.getPort();
  }

  @AfterEach
  void stop() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void prints_one_line_per_port_saying_which_object_and_field_decided() {
    Run r = explain("shop", "pod", "db-0");

    assertThat(r.status).as(r.err).isEqualTo(Portolan.OK);
    assertThat(r.out)
        .isEqualTo(
            """
            Pod shop/db-0
              8080  detect (10s)     because the install default defaultOpaquePorts = "25,587,3306"
              5432  opaque           because Namespace/shop/shop metadata.annotations[config.linkerd.io/opaque-ports] = "5432,x"
                                     invalid token "x" (position 2) in Namespace/shop/shop metadata.annotations[config.linkerd.io/opaque-ports]: not a port number or range
              9000  opaque, skipped  because Pod/shop/db-0 metadata.annotations[config.linkerd.io/skip-inbound-ports] = "9000"
              9090  http2            because Server/shop/metrics spec.proxyProtocol unset
                                     shadowed: Server/shop/metrics-old selects this port too; the older Server wins
            """);
    assertThat(received)
        .containsExactly(
            ExplainRequest.newBuilder()
                .setNamespace("shop")
                .setKind("pod")
                .setName("db-0")
                .build());
  }

  @Test
  void prints_a_service_port_with_its_target_and_the_backend_that_decided() {
    Run r = explain("shop", "svc", "db", "--port", "5432");

    assertThat(r.status).as(r.err).isEqualTo(Portolan.OK);
    assertThat(r.out)
        .isEqualTo(
            """
            Service shop/db
              80→grpc-api  grpc    because Service/shop/db spec.ports[port=80].appProtocol = "kubernetes.io/h2c"
              5432         opaque  because backend Pod/shop/db-0, because Namespace/shop/shop metadata.annotations[config.linkerd.io/opaque-ports] = "5432,x"
            """);
    assertThat(received.getFirst().getKind()).isEqualTo("service");
    assertThat(received.getFirst().getPort()).isEqualTo(5432);
  }

  @Test
  void says_what_was_not_found_and_exits_non_zero() {
    Run r = explain("shop", "pod", "nope");

    assertThat(r.status).isEqualTo(Portolan.FAILED);
    assertThat(r.out).isEmpty();
    assertThat(r.err).isEqualTo("portolan explain: not found: no pod shop/nope\n");
  }

  @Test
  void says_how_to_reach_a_policy_server_that_does_not_answer() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = s.getLocalPort();
    }
    address = "127.0.0.1:" + closed;

    Run r = explain("shop", "pod", "db-0", "--timeout", "5");

    assertThat(r.status).isEqualTo(Portolan.FAILED);
    assertThat(r.err)
        .startsWith("portolan explain: no answer from the policy-server at 127.0.0.1:" + closed)
        .contains("kubectl -n portolan port-forward deploy/portolan-policy-server 8086");
  }

  @Test
  void refuses_a_kind_it_cannot_explain_before_calling() {
    Run r = explain("shop", "deployment", "db");

    assertThat(r.status).isEqualTo(Portolan.USAGE);
    assertThat(r.err)
        .startsWith("portolan explain: KIND must be pod or service, got deployment\n")
        .contains("usage: portolan explain [OPTIONS] NAMESPACE pod|service NAME");
    assertThat(received).isEmpty();
  }

  private Run explain(String... args) {
    List<String> argv = new java.util.ArrayList<>(List.of("explain"));
    argv.addAll(List.of(args));
    argv.addAll(List.of("--server", address));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        new Portolan(List.of(new ExplainCommand()))
            .run(
                argv,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  record Run(int status, String out, String err) {}

  private final class CannedDiagnostics extends DiagnosticsGrpc.DiagnosticsImplBase {
    @Override
    public void explain(ExplainRequest request, StreamObserver<ExplainResponse> observer) {
      received.add(request);
      String key = request.getKind() + "/" + request.getNamespace() + "/" + request.getName();
      switch (key) {
        case "pod/shop/db-0" -> observer.onNext(DB_0);
        case "service/shop/db" -> observer.onNext(DB_SERVICE);
        default -> {
          observer.onError(
              Status.NOT_FOUND
                  .withDescription(
                      "no "
                          + request.getKind()
                          + " "
                          + request.getNamespace()
                          + "/"
                          + request.getName())
                  .asRuntimeException());
          return;
        }
      }
      observer.onCompleted();
    }
  }

  private static PortExplanation.Builder port(int port, String protocol) {
    return PortExplanation.newBuilder().setPort(port).setProtocol(protocol);
  }

  private static Provenance.Builder prov(String source, String field) {
    return Provenance.newBuilder().setSource(source).setField(field);
  }

  private static ObjectRef ref(String kind, String namespace, String name) {
    return ObjectRef.newBuilder().setKind(kind).setNamespace(namespace).setName(name).build();
  }
}
