package dev.portolan.proxy.inject;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.inject.InjectorConfig;
import dev.portolan.proxy.peers.Nginx;
import dev.portolan.proxy.testbed.Sh;
import dev.portolan.proxy.testbed.TestBed;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The injector end to end (docs/injector.md): the real injector's patch for two demo Pods, its init
 * container's arguments run by proxy-init's own entry point in each pod's namespace (real
 * iptables), its proxy container's environment (downward API resolved) given verbatim to the proxy.
 * The pods are then meshed for real: their traffic shows in both proxies' metrics, and the port the
 * server's annotation skips reaches nginx without its proxy.
 */
class InjectedPodMeshedTest {
  static final String CLIENT_IP = "10.244.77.90";
  static final String WEB_IP = "10.244.77.91";
  static final String WEB_PORTS =
      "{name: http, containerPort: 8080}, {name: h2, containerPort: 8081}";
  static final String SKIP = "config.linkerd.io/skip-inbound-ports: \"8081\"";

  static String demo(String name, String annotations, String ports) {
    return """
    apiVersion: v1
    kind: Pod
    metadata:
      name: %s
      labels: {app: %s}
      annotations: {%s}
    spec:
      serviceAccountName: %s
      containers:
        - name: main
          image: demo
          ports: [%s]
    """
        .formatted(name, name, annotations, name, ports);
  }

  @Test
  void an_injected_pod_is_meshed_and_its_skipped_port_bypasses_the_proxy() throws Exception {
    Sh.assumeRootWith("nginx", "curl");
    InjectorConfig d = InjectorConfig.defaults("portolan", "portolan/proxy:0.1.0");
    // The one install setting the bed decides: where the policy-server is (its node address).
    InjectorConfig config =
        new InjectorConfig(
            "portolan",
            new InjectorConfig.Proxy(
                d.proxy().image(),
                d.proxy().version(),
                d.proxy().imagePullPolicy(),
                d.proxy().uid(),
                TestBed.NODE_IP + ":8086",
                d.proxy().logLevel(),
                d.proxy().inboundPort(),
                d.proxy().outboundPort(),
                d.proxy().adminPort(),
                d.proxy().jvmOptions(),
                d.proxy().resources()),
            d.proxyInit());
    Map<String, String> meshedNs = Map.of("linkerd.io/inject", "enabled");
    InjectedPod client =
        InjectedPod.inject(config, demo("client", "", ""), TestBed.NAMESPACE, meshedNs, "node-a");
    InjectedPod web =
        InjectedPod.inject(
            config, demo("web", SKIP, WEB_PORTS), TestBed.NAMESPACE, meshedNs, "node-a");
    assertThat(web.initArgs()).containsSubsequence("--skip-inbound-ports", "4190-4191,8081");

    try (TestBed bed =
        new TestBed()
            .pod("client", CLIENT_IP, true, "", "")
            .pod("web", WEB_IP, true, SKIP, WEB_PORTS)
            .injected("client", client.initArgs(), client.proxyEnv())
            .injected("web", web.initArgs(), web.proxyEnv())
            .start()) {
      Nginx.start(bed, "web", "web", 1000);

      for (int i = 0; i < 5; i++) {
        assertThat(
                bed.pod("client")
                    .run("curl", "-s", "--max-time", "5", "http://" + WEB_IP + ":8080/")
                    .strip())
            .isEqualTo("web");
      }
      assertThat(
              bed.pod("client")
                  .run(
                      "curl",
                      "-s",
                      "--max-time",
                      "5",
                      "--http2-prior-knowledge",
                      "http://" + WEB_IP + ":8081/")
                  .strip())
          .isEqualTo("web");

      String webMetrics = bed.pod("web").metrics();
      String clientMetrics = bed.pod("client").metrics();
      // Through both proxies: the client's outbound and the server's inbound saw the requests.
      assertThat(clientMetrics)
          .contains(
              "request_total{direction=\"outbound\",target_addr=\""
                  + WEB_IP
                  + ":8080\",peer=\"src\",tls=\"disabled\"} 5");
      assertThat(webMetrics)
          .contains(
              "request_total{direction=\"inbound\",target_addr=\""
                  + WEB_IP
                  + ":8080\",peer=\"src\",tls=\"disabled\"} 5");
      // 8081 is skipped inbound on the server only: its proxy never saw it, the client's did.
      assertThat(webMetrics).doesNotContain(":8081");
      assertThat(clientMetrics).contains("target_addr=\"" + WEB_IP + ":8081\"");
      // The proxies run as the injector configured them: identity off, as the install says.
      assertThat(webMetrics).contains("mode=\"disabled\"");
    }
  }
}
