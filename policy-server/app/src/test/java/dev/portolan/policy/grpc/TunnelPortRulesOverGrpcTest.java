package dev.portolan.policy.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.inbound.Authz;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.Server;
import dev.portolan.api.net.IPNetwork;
import dev.portolan.policy.ManifestDir;
import dev.portolan.policy.Recorder;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The tunnel keeps the port rules, over real gRPC (docs/design/networkpolicy.md): a server port a
 * NetworkPolicy isolates is answered with authorizations naming only the client networks the policy
 * lets reach that port, and open WatchPort streams follow edits of the policy, of a client Pod's
 * labels and address, and of a Namespace's labels.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0"})
class TunnelPortRulesOverGrpcTest extends InboundOverGrpc {
  static final ManifestDir DIR = new ManifestDir("portolan-tunnel");
  static final String NODE = "192.0.2.1";
  static final String A = "10.78.0.20";
  static final String B = "10.78.0.21";

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  static String namespace(String ns, String team) {
    return """
    apiVersion: v1
    kind: Namespace
    metadata:
      name: %s
      labels: {team: %s}
      annotations: {config.linkerd.io/opaque-ports: "6379"}
    """
        .formatted(ns, team);
  }

  static String pod(String ns, String name, String app, String ip) {
    return """
    apiVersion: v1
    kind: Pod
    metadata:
      name: %s
      namespace: %s
      labels: {app: %s, linkerd.io/control-plane-ns: portolan}
    spec:
      containers:
        - name: main
          ports: [{name: redis, containerPort: 6379}, {name: http, containerPort: 8080}]
        - name: portolan-proxy
    status:
      phase: Running
      podIP: %s
      hostIP: %s
      conditions: [{type: Ready, status: "True"}]
    """
        .formatted(name, ns, app, ip, NODE);
  }

  /** A reaches 6379 and 4143; B reaches 8080 and 4143: allowing 4143 to B opens nothing else. */
  static final String POLICY =
      """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: redis
        namespace: tun
      spec:
        podSelector:
          matchLabels: {app: redis}
        policyTypes: [Ingress]
        ingress:
          - from: [{podSelector: {matchLabels: {app: a}}}]
            ports: [{port: 6379}, {port: 4143}]
          - from: [{podSelector: {matchLabels: {app: b}}}]
            ports: [{port: http}, {port: 4143}]
      """;

  /** Every Pod of a Namespace labelled team=ops may reach 6379. */
  static final String OPS_POLICY =
      """
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: ops
        namespace: tun
      spec:
        podSelector:
          matchLabels: {app: redis}
        ingress:
          - from: [{namespaceSelector: {matchLabels: {team: ops}}}]
            ports: [{port: 6379}]
      """;

  Recorder<Server> watch(int port) {
    Recorder<Server> r = new Recorder<>();
    inbound.watchPort(PortSpec.newBuilder().setWorkload("tun:redis-0").setPort(port).build(), r);
    await().until(() -> r.size() >= 1);
    return r;
  }

  static String text(IPNetwork n) {
    var ip = n.getIp();
    if (ip.hasIpv6()) {
      return "v6/" + n.getPrefixLen();
    }
    int v = ip.getIpv4();
    return String.format(
        Locale.ROOT,
        "%d.%d.%d.%d/%d",
        v >>> 24,
        (v >>> 16) & 0xff,
        (v >>> 8) & 0xff,
        v & 0xff,
        n.getPrefixLen());
  }

  /** The networks of the answer's authorizations, in order. */
  static List<String> networks(Server s) {
    return s.getAuthorizationsList().stream()
        .flatMap(a -> a.getNetworksList().stream())
        .map(n -> text(n.getNet()))
        .toList();
  }

  @Test
  void isolated_ports_admit_only_what_the_policy_allows_and_follow_every_edit() {
    DIR.write("ns.yaml", namespace("tun", "apps"))
        .write("ops.yaml", namespace("tun-ops", "none"))
        .write("redis.yaml", pod("tun", "redis-0", "redis", "10.78.0.10"))
        .write("a.yaml", pod("tun", "client-a", "a", A))
        .write("b.yaml", pod("tun", "client-b", "b", B))
        .write("o.yaml", pod("tun-ops", "tool-0", "tool", "10.78.1.5"));
    await().until(() -> index.snapshot().pod("tun-ops", "tool-0") != null);

    Recorder<Server> redis = watch(6379);
    Recorder<Server> http = watch(8080);
    // Not isolated yet: the default policy, every address.
    assertThat(redis.last().getAuthorizations(0).getLabelsMap()).containsEntry("kind", "default");
    assertThat(networks(redis.last())).containsExactly("0.0.0.0/0", "v6/0");

    DIR.write("policy.yaml", POLICY);
    await().until(() -> networks(redis.last()).equals(List.of(A + "/32", NODE + "/32")));
    Authz authz = redis.last().getAuthorizations(0);
    assertThat(redis.last().getAuthorizationsCount()).isEqualTo(1);
    assertThat(authz.getLabelsMap())
        .containsEntry("group", "networking.k8s.io")
        .containsEntry("kind", "networkpolicy")
        .containsEntry("name", "networkpolicy:tun/redis");
    assertThat(authz.getMetadata().getResource().getNamespace()).isEqualTo("tun");
    assertThat(authz.getMetadata().getResource().getName()).isEqualTo("redis");
    assertThat(authz.getMetadata().getResource().getKind()).isEqualTo("networkpolicy");
    assertThat(authz.getAuthentication().hasUnauthenticated()).isTrue();
    // The named port "http" resolves against the server: B (only) on 8080.
    await().until(() -> networks(http.last()).equals(List.of(B + "/32", NODE + "/32")));

    // A client Pod's labels: B becomes an "a" and may reach 6379.
    DIR.write("b.yaml", pod("tun", "client-b", "a", B));
    await().until(() -> networks(redis.last()).equals(List.of(A + "/32", B + "/32", NODE + "/32")));
    await().until(() -> networks(http.last()).equals(List.of(NODE + "/32")));

    // A client Pod's address.
    DIR.write("a.yaml", pod("tun", "client-a", "a", "10.78.0.30"));
    await()
        .until(
            () -> networks(redis.last()).equals(List.of(B + "/32", "10.78.0.30/32", NODE + "/32")));

    // A Namespace's labels, through a second policy's namespaceSelector: its own authorization.
    DIR.write("ops-policy.yaml", OPS_POLICY);
    await().until(() -> redis.last().getAuthorizationsCount() == 2);
    DIR.write("ops.yaml", namespace("tun-ops", "ops"));
    await()
        .until(() ->
            redis
                    .last()
                    .getAuthorizations(0)
                    .getLabelsMap()
                    .get("name")
                    .equals("networkpolicy:tun/ops")
                && networks(redis.last()).contains("10.78.1.5/32"));

    // The policies gone: the default again, on both ports.
    DIR.delete("policy.yaml").delete("ops-policy.yaml");
    await().until(() -> networks(redis.last()).equals(List.of("0.0.0.0/0", "v6/0")));
    await().until(() -> networks(http.last()).equals(List.of("0.0.0.0/0", "v6/0")));
    assertThat(redis.last().getAuthorizations(0).getLabelsMap()).containsEntry("kind", "default");
    assertThat(redis.error()).isNull();
  }
}
