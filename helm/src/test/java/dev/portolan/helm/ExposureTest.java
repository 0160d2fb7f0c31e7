package dev.portolan.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the chart exposes of the policy-server's HTTP port: the actuator listens on every interface
 * (the kubelet and Prometheus come to the pod's IP), and a request from off the pod reaches health
 * and prometheus only, which is all the probes and the scrape need. The policy-server's
 * ManagementExposureTest runs the server with these settings and checks that /actuator/destinations
 * and the other diagnostics do not answer off loopback.
 */
@EnableKubernetesMockClient(https = false, crud = true)
class ExposureTest {
  static KubernetesMockServer server;
  static KubernetesClient client;

  @BeforeAll
  static void pointHelm() {
    HelmLookups.pointAt(server, client);
  }

  @Test
  void the_actuator_listens_for_the_pod_ip_and_lets_only_health_and_prometheus_through() {
    for (Chart.Manifest m : renders()) {
      Map<String, Object> app = application(m);
      assertThat(Yaml.at(app, "portolan.management.address")).isEqualTo("0.0.0.0");
      assertThat(Yaml.list(app, "portolan.management.remote-endpoints"))
          .containsExactly("health", "prometheus");
      // The gRPC port serves every pod: no bind address narrows it.
      assertThat(Yaml.at(app, "portolan.grpc.address")).isNull();
    }
  }

  @Test
  void every_probe_and_the_scrape_ask_for_an_endpoint_that_answers_off_loopback() {
    for (Chart.Manifest m : renders()) {
      List<Object> reachable = Yaml.list(application(m), "portolan.management.remote-endpoints");
      Container c =
          m.one(Deployment.class, "portolan-policy-server")
              .getSpec()
              .getTemplate()
              .getSpec()
              .getContainers()
              .getFirst();
      List<String> paths = new ArrayList<>();
      for (Probe p :
          Stream.of(c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe()).toList()) {
        HTTPGetAction get = p.getHttpGet();
        assertThat(get.getPort().getStrVal()).isEqualTo("admin-http");
        paths.add(get.getPath());
      }
      m.all(ServiceMonitor.class)
          .forEach(sm -> sm.getSpec().getEndpoints().forEach(e -> paths.add(e.getPath())));
      assertThat(paths).hasSizeGreaterThanOrEqualTo(3);
      for (String path : paths) {
        assertThat(path).startsWith("/actuator/");
        String endpoint = path.substring("/actuator/".length()).split("/")[0];
        assertThat(reachable).as(path).contains(endpoint);
      }
    }
  }

  /** The default install, the HA values, and the optional ServiceMonitor. */
  private static List<Chart.Manifest> renders() {
    return List.of(
        Chart.render().manifest(),
        Chart.render().chartValues("values-ha.yaml").manifest(),
        Chart.render().set("metrics.serviceMonitor.enabled", true).manifest());
  }

  private static Map<String, Object> application(Chart.Manifest m) {
    return Yaml.map(
        m.one(ConfigMap.class, "portolan-policy-server-config").getData().get("application.yaml"));
  }
}
