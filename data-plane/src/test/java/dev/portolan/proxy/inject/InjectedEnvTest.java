package dev.portolan.proxy.inject;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.inject.InjectorConfig;
import dev.portolan.policy.model.PortSet;
import dev.portolan.proxy.ProxyConfig;
import dev.portolan.proxy.identity.IdentityConfig;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The injector's proxy environment against what the proxy reads: every variable the injector writes
 * is one {@link ProxyConfig#fromEnv} or {@link IdentityConfig#fromEnv} asks for (found by recording
 * the keys they look up, so neither side's list is copied here), and the resolved values parse into
 * the settings the Pod asked for.
 */
class InjectedEnvTest {
  static final String DEMO =
      """
      apiVersion: v1
      kind: Pod
      metadata:
        name: web-7d9f
        labels: {app: web}
        annotations:
          config.linkerd.io/skip-inbound-ports: "8081"
      spec:
        serviceAccountName: web
        containers:
          - name: app
            image: nginx
            ports: [{name: http, containerPort: 8080}, {name: admin, containerPort: 8081}]
      """;

  /**
   * Written by the injector for a reader other than the proxy process: the policy-server reads the
   * listen address from the Pod spec (docs/design/sources-and-precedence.md, "Meshed Pods"), and
   * the image's entry script reads the JVM options (data-plane/Dockerfile).
   */
  static final Set<String> NOT_FOR_THE_PROXY =
      Set.of("PORTOLAN_PROXY_INBOUND_LISTEN_ADDR", "PORTOLAN_JVM_OPTIONS");

  /**
   * The gRPC client's expectation of the policy-server's identity: its reader is being added to the
   * proxy's gRPC channel in parallel with this test. Tolerated while no settings class reads it.
   */
  static final Set<String> PENDING_READER = Set.of("PORTOLAN_POLICY_SERVER_IDENTITY");

  /** The keys a settings parser looked up, whatever method it used. */
  static final class Recording extends HashMap<String, String> {
    final Set<String> asked = new LinkedHashSet<>();

    Recording(Map<String, String> env) {
      super(env);
    }

    @Override
    public @Nullable String get(Object key) {
      asked.add((String) key);
      return super.get(key);
    }

    @Override
    public String getOrDefault(Object key, String def) {
      asked.add((String) key);
      return super.getOrDefault(key, def);
    }

    @Override
    public boolean containsKey(Object key) {
      asked.add((String) key);
      return super.containsKey(key);
    }
  }

  static final Map<String, String> MESHED_NS = Map.of("linkerd.io/inject", "enabled");

  static InjectorConfig config(boolean identity) {
    InjectorConfig d = InjectorConfig.defaults("portolan", "portolan/proxy:0.1.0");
    return new InjectorConfig(
        "portolan",
        d.proxy(),
        d.proxyInit(),
        new InjectorConfig.Identity(identity, "cluster.local", "portolan-policy", "roots"));
  }

  @Test
  void every_variable_the_injector_writes_is_read_by_the_proxy() {
    for (boolean identity : List.of(false, true)) {
      InjectedPod pod = InjectedPod.inject(config(identity), DEMO, "shop", MESHED_NS, "node-a");
      Recording env = new Recording(pod.proxyEnv());
      ProxyConfig.fromEnv(env);
      IdentityConfig.fromEnv(env);
      Set<String> unread = new LinkedHashSet<>(pod.proxyEnvNames());
      unread.removeAll(env.asked);
      unread.removeAll(NOT_FOR_THE_PROXY);
      unread.removeAll(PENDING_READER);
      assertThat(unread)
          .as("identity %s: written by the injector, read by nobody", identity)
          .isEmpty();
      assertThat(pod.proxyEnvNames()).as("no duplicates").doesNotHaveDuplicates();
    }
  }

  @Test
  void the_resolved_environment_is_this_pod_on_this_node() {
    InjectedPod pod = InjectedPod.inject(config(true), DEMO, "shop", MESHED_NS, "node-a");
    Map<String, String> env = pod.proxyEnv();
    ProxyConfig c = ProxyConfig.fromEnv(env);
    assertThat(c.namespace()).isEqualTo("shop");
    assertThat(c.pod()).isEqualTo("web-7d9f");
    assertThat(c.serviceAccount()).isEqualTo("web");
    assertThat(c.nodeName()).isEqualTo("node-a");
    assertThat(c.contextToken())
        .isEqualTo("{\"ns\":\"shop\",\"nodeName\":\"node-a\",\"pod\":\"web-7d9f\"}")
        .isEqualTo(ProxyConfig.contextToken("shop", "node-a", "web-7d9f"));
    assertThat(c.policyServer()).isEqualTo("portolan-policy.portolan.svc.cluster.local:8086");
    assertThat(c.inboundPorts()).isEqualTo(PortSet.of(8080, 8081));
    assertThat(c.skipInboundPorts()).isEqualTo(PortSet.of(4190, 4191, 8081));
    IdentityConfig id = IdentityConfig.fromEnv(env);
    assertThat(id.mode()).isEqualTo(IdentityConfig.Mode.TLS);
    assertThat(id.identity()).isEqualTo("web.shop.serviceaccount.identity.portolan.cluster.local");
    assertThat(id.serverName())
        .isEqualTo("portolan-policy.portolan.serviceaccount.identity.portolan.cluster.local")
        .isEqualTo(env.get("PORTOLAN_POLICY_SERVER_IDENTITY"));
    assertThat(id.tokenFile()).hasToString(IdentityConfig.DEFAULT_TOKEN_FILE);
    assertThat(id.trustAnchors()).hasToString(IdentityConfig.DEFAULT_TRUST_ANCHORS);
    // The token the identity service checks is the one the injector projects.
    assertThat(pod.pod().getSpec().getVolumes())
        .anySatisfy(v ->
            assertThat(v.getProjected().getSources().getFirst().getServiceAccountToken().getPath())
                .isEqualTo(id.tokenFile().getFileName().toString()));
  }

  @Test
  void identity_off_in_the_install_is_off_in_the_proxy() {
    InjectedPod pod = InjectedPod.inject(config(false), DEMO, "shop", MESHED_NS, "node-a");
    assertThat(IdentityConfig.fromEnv(pod.proxyEnv()).mode())
        .isEqualTo(IdentityConfig.Mode.DISABLED);
  }
}
