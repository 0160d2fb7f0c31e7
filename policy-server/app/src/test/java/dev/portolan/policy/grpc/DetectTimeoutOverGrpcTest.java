package dev.portolan.policy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.Server;
import dev.portolan.policy.ManifestDir;
import dev.portolan.policy.Recorder;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A Server's {@code config.portolan.io/detect-timeout} over real gRPC: the WatchPort answer's
 * Detect timeout is the Server's, follows edits of the annotation, and falls back to the install
 * value when the annotation is malformed or gone (docs/design/sources-and-precedence.md).
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0", "portolan.detect-timeout=7s"})
class DetectTimeoutOverGrpcTest extends InboundOverGrpc {
  static final ManifestDir DIR = new ManifestDir("portolan-detect-timeout");

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  static final String POD =
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: web-0
        namespace: dt
        labels: {app: web, linkerd.io/control-plane-ns: portolan}
      spec:
        containers:
          - name: main
            ports: [{name: http, containerPort: 8080}, {name: admin, containerPort: 9000}]
      status:
        phase: Running
        podIP: 10.79.0.10
        conditions: [{type: Ready, status: "True"}]
      """;

  static String server(String annotation, String protocol) {
    return """
    apiVersion: policy.linkerd.io/v1beta3
    kind: Server
    metadata:
      name: web-http
      namespace: dt
      annotations: {%s}
    spec:
      podSelector: {matchLabels: {app: web}}
      port: http
      %s
    """
        .formatted(annotation, protocol);
  }

  Recorder<Server> watch(int port) {
    Recorder<Server> r = new Recorder<>();
    inbound.watchPort(PortSpec.newBuilder().setWorkload("dt:web-0").setPort(port).build(), r);
    await().until(() -> r.size() >= 1);
    return r;
  }

  /** The Detect timeout of the latest answer in ms, or -1 when it is not Detect. */
  static long detectMillis(Recorder<Server> r) {
    var p = r.last().getProtocol();
    if (!p.hasDetect()) {
      return -1;
    }
    var t = p.getDetect().getTimeout();
    return t.getSeconds() * 1000 + t.getNanos() / 1_000_000;
  }

  @Test
  void the_detect_timeout_follows_the_servers_annotation_live() {
    DIR.write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: dt}\n")
        .write("pod.yaml", POD)
        .write("server.yaml", server("config.portolan.io/detect-timeout: 300ms", ""));
    await().until(() -> index.snapshot().pod("dt", "web-0") != null);

    Recorder<Server> http = watch(8080);
    Recorder<Server> admin = watch(9000);
    await().until(() -> detectMillis(http) == 300);
    assertThat(http.last().getLabelsMap())
        .containsEntry("kind", "server")
        .containsEntry("name", "web-http");
    // The port the Server does not select keeps the install value.
    assertThat(detectMillis(admin)).isEqualTo(7000);

    DIR.write("server.yaml", server("config.portolan.io/detect-timeout: 2s", ""));
    await().until(() -> detectMillis(http) == 2000);

    // Malformed: the install value, and the Server still decides the port.
    DIR.write("server.yaml", server("config.portolan.io/detect-timeout: soon", ""));
    await().until(() -> detectMillis(http) == 7000);
    assertThat(http.last().getLabelsMap()).containsEntry("name", "web-http");

    DIR.write("server.yaml", server("config.portolan.io/detect-timeout: 1500ms", ""));
    await().until(() -> detectMillis(http) == 1500);

    // A Server that declares a protocol: nothing to detect, the annotation is ignored.
    DIR.write(
        "server.yaml", server("config.portolan.io/detect-timeout: 1s", "proxyProtocol: opaque"));
    await().until(() -> http.last().getProtocol().hasOpaque());

    // The Server gone: the install value.
    DIR.delete("server.yaml");
    await().until(() -> detectMillis(http) == 7000);
    assertThat(detectMillis(admin)).isEqualTo(7000);
    assertThat(http.error()).isNull();
  }
}
