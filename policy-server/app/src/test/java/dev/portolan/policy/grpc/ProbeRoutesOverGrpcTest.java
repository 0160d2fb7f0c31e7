package dev.portolan.policy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.httproute.HttpRouteMatch;
import dev.portolan.api.httptypes.HttpMethod;
import dev.portolan.api.inbound.HttpRoute;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.Server;
import dev.portolan.policy.ManifestDir;
import dev.portolan.policy.Recorder;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The kubelet's HTTP probes over real gRPC (docs/design/sources-and-precedence.md, <i>Probe
 * authorizations</i>): a {@code deny} Pod's answer for a probed port has no authorizations of its
 * own but HTTP routes as Linkerd writes them — {@code default} (every request, the Server's
 * authorizations) and {@code probe} ({@code GET} of each probe path, admitted unauthenticated from
 * the probe networks) — on Detect and on a declared HTTP/1 port, none on an opaque one; and the
 * routes follow edits of the Pod's probes.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0"})
class ProbeRoutesOverGrpcTest extends InboundOverGrpc {
  static final ManifestDir DIR = new ManifestDir("portolan-probes");

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  /** Probes: readiness by port name, liveness by number, startup over HTTPS (not routable). */
  static String pod(String readinessPath) {
    return """
    apiVersion: v1
    kind: Pod
    metadata:
      name: web-0
      namespace: pr
      labels: {app: web, linkerd.io/control-plane-ns: portolan}
      annotations: {config.linkerd.io/default-inbound-policy: deny}
    spec:
      containers:
        - name: main
          ports:
            - {name: http, containerPort: 8080}
            - {name: legacy, containerPort: 8081}
            - {name: raw, containerPort: 8082}
          readinessProbe: {httpGet: {path: %s, port: http}}
          livenessProbe: {httpGet: {path: /live, port: 8080}}
          startupProbe: {httpGet: {path: /tls, port: 8080, scheme: HTTPS}}
        - name: side
          ports: [{name: side, containerPort: 8081}]
          livenessProbe: {httpGet: {path: /side, port: side}}
        - name: raw
          livenessProbe: {tcpSocket: {port: 8082}}
          readinessProbe: {httpGet: {path: /raw, port: 8082}}
    status:
      phase: Running
      podIP: 10.79.1.10
      conditions: [{type: Ready, status: "True"}]
    """
        .formatted(readinessPath);
  }

  static final String SERVERS =
      """
      apiVersion: policy.linkerd.io/v1beta3
      kind: Server
      metadata: {name: legacy, namespace: pr}
      spec:
        podSelector: {matchLabels: {app: web}}
        port: legacy
        proxyProtocol: HTTP/1
      ---
      apiVersion: policy.linkerd.io/v1beta3
      kind: Server
      metadata: {name: raw, namespace: pr}
      spec:
        podSelector: {matchLabels: {app: web}}
        port: raw
        proxyProtocol: opaque
      """;

  Recorder<Server> watch(int port) {
    Recorder<Server> r = new Recorder<>();
    inbound.watchPort(PortSpec.newBuilder().setWorkload("pr:web-0").setPort(port).build(), r);
    await().until(() -> r.size() >= 1);
    return r;
  }

  static List<HttpRoute> routes(Server s) {
    var p = s.getProtocol();
    if (p.hasDetect()) {
      return p.getDetect().getHttpRoutesList();
    }
    if (p.hasHttp1()) {
      return p.getHttp1().getRoutesList();
    }
    return List.of();
  }

  /** The probe route's matches as "METHOD path". */
  static List<String> probePaths(Server s) {
    return routes(s).stream()
        .filter(r -> r.getMetadata().getDefault().equals("probe"))
        .flatMap(r -> r.getRulesList().stream())
        .flatMap(rule -> rule.getMatchesList().stream())
        .map(ProbeRoutesOverGrpcTest::text)
        .toList();
  }

  static String text(HttpRouteMatch m) {
    HttpMethod method = m.getMethod();
    return method.getRegistered() + " " + m.getPath().getExact();
  }

  @Test
  void a_denying_pod_answers_its_probed_ports_with_probe_routes_that_follow_the_pod() {
    DIR.write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: pr}\n")
        .write("servers.yaml", SERVERS)
        .write("pod.yaml", pod("/ready"));
    await().until(() -> index.snapshot().pod("pr", "web-0") != null);

    Recorder<Server> http = watch(8080);
    Recorder<Server> legacy = watch(8081);
    Recorder<Server> raw = watch(8082);

    Server s = http.last();
    assertThat(s.getAuthorizationsCount()).as("deny: nothing at the port level").isZero();
    assertThat(s.getProtocol().hasDetect()).isTrue();
    List<HttpRoute> routes = routes(s);
    assertThat(routes).hasSize(2);
    HttpRoute all = routes.get(0);
    assertThat(all.getMetadata().getDefault()).isEqualTo("default");
    assertThat(all.getAuthorizationsCount()).isZero();
    assertThat(all.getRules(0).getMatches(0).getPath().getPrefix()).isEqualTo("/");
    HttpRoute probe = routes.get(1);
    assertThat(probe.getMetadata().getDefault()).isEqualTo("probe");
    assertThat(probePaths(s)).containsExactly("GET /live", "GET /ready");
    assertThat(probe.getAuthorizationsCount()).isEqualTo(1);
    var authz = probe.getAuthorizations(0);
    assertThat(authz.getAuthentication().hasUnauthenticated()).isTrue();
    assertThat(authz.getLabelsMap())
        .containsEntry("kind", "default")
        .containsEntry("name", "probe");
    assertThat(authz.getMetadata().getDefault()).isEqualTo("probe");
    assertThat(authz.getNetworksList()).hasSize(2);
    assertThat(authz.getNetworks(0).getNet().getPrefixLen()).isZero();

    // A declared HTTP/1 port carries them on http1.routes; a probe of another container's port
    // name resolves against that container.
    assertThat(legacy.last().getProtocol().hasHttp1()).isTrue();
    assertThat(probePaths(legacy.last())).containsExactly("GET /side");
    // Opaque: never HTTP to the proxy, no routes (the probe is the pod's problem to skip).
    assertThat(raw.last().getProtocol().hasOpaque()).isTrue();
    assertThat(raw.last().getProtocol().getOpaque().getSerializedSize()).isZero();

    // The Pod's probe path changes: the route follows.
    DIR.write("pod.yaml", pod("/ready2"));
    await().until(() -> probePaths(http.last()).equals(List.of("GET /live", "GET /ready2")));

    // The deny policy gone: all-unauthenticated at the port level, the probe route stays.
    DIR.write("pod.yaml", pod("/ready2").replace("default-inbound-policy: deny", "x: y"));
    await().until(() -> http.last().getAuthorizationsCount() == 1);
    assertThat(probePaths(http.last())).containsExactly("GET /live", "GET /ready2");
    assertThat(http.error()).isNull();
  }
}
