package dev.portolan.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Parts behind a value: the ServiceMonitor, the dashboard, the injector, the CRD; and RBAC. */
@EnableKubernetesMockClient(https = false, crud = true)
class OptionalPartsTest {
  static KubernetesMockServer server;
  static KubernetesClient client;

  @BeforeAll
  static void pointHelm() {
    HelmLookups.pointAt(server, client);
  }

  @Test
  void the_service_monitor_scrapes_the_actuator_through_the_admin_service() {
    Chart.Manifest m = Chart.render().set("metrics.serviceMonitor.enabled", true).manifest();

    ServiceMonitor sm = m.one(ServiceMonitor.class, "portolan-policy-server");
    Service admin = m.one(Service.class, "portolan-admin");
    assertThat(admin.getMetadata().getLabels())
        .containsAllEntriesOf(sm.getSpec().getSelector().getMatchLabels());
    assertThat(m.all(Service.class))
        .filteredOn(s ->
            s.getMetadata()
                .getLabels()
                .entrySet()
                .containsAll(sm.getSpec().getSelector().getMatchLabels().entrySet()))
        .as("only the admin Service is scraped")
        .extracting(s -> s.getMetadata().getName())
        .containsExactly("portolan-admin");
    assertThat(sm.getSpec().getEndpoints())
        .singleElement()
        .satisfies(e -> {
          assertThat(e.getPort()).isEqualTo("admin-http");
          assertThat(e.getPath()).isEqualTo("/actuator/prometheus");
        });
    Apply.all(client, m);
  }

  @Test
  void the_service_monitor_and_the_pdb_are_off_by_default_and_the_dashboard_can_be() {
    Chart.Manifest m = Chart.render().set("grafana.dashboard.enabled", false).manifest();
    assertThat(m.names())
        .noneMatch(n -> n.startsWith("ServiceMonitor/") || n.startsWith("PodDisruptionBudget/"));
    assertThat(m.names()).doesNotContain("ConfigMap/portolan-grafana-dashboard");
  }

  @Test
  void without_the_injector_there_is_no_webhook_to_call() {
    Chart.Manifest m = Chart.render().set("injector.enabled", false).manifest();

    assertThat(m.names())
        .noneMatch(n -> n.startsWith("MutatingWebhookConfiguration/") || n.startsWith("Secret/"))
        .doesNotContain("Service/portolan-webhook");
    assertThat(
            m.one(Deployment.class, "portolan-policy-server")
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .getFirst()
                .getPorts())
        .extracting(ContainerPort::getName)
        .doesNotContain("webhook");
    Apply.all(client, m);
  }

  @Test
  void where_linkerd_installed_the_crd_the_chart_leaves_it_alone() {
    assertThat(Chart.render().set("crds.install", false).manifest().names())
        .noneMatch(n -> n.startsWith("CustomResourceDefinition/"));
  }

  @Test
  void rbac_is_the_documented_example_and_token_reviews_come_with_identity() throws Exception {
    Map<String, Object> example = null;
    for (String doc :
        Files.readString(
                Chart.DIR.getParent().getParent().resolve("examples/rbac/policy-server-rbac.yaml"))
            .split("(?m)^---\\s*$")) {
      Map<String, Object> o = Yaml.map(doc);
      if ("ClusterRole".equals(o.get("kind"))) {
        example = o;
      }
    }
    assertThat(example).isNotNull();
    List<PolicyRule> documented =
        Chart.SERIALIZATION.convertValue(example, ClusterRole.class).getRules();

    List<PolicyRule> withIdentity =
        Chart.render()
            .set("identity.enabled", true)
            .manifest()
            .one(ClusterRole.class, "portolan-policy-server")
            .getRules();
    List<PolicyRule> byDefault =
        Chart.render().manifest().one(ClusterRole.class, "portolan-policy-server").getRules();

    assertThat(withIdentity).containsExactlyElementsOf(documented);
    assertThat(byDefault)
        .containsExactlyElementsOf(
            documented.stream().filter(r -> !r.getResources().contains("tokenreviews")).toList());
    // Nothing the policy-server holds can change a workload.
    assertThat(withIdentity)
        .allSatisfy(r ->
            assertThat(r.getVerbs())
                .allMatch(v ->
                    List.of("get", "list", "watch").contains(v)
                        || (r.getResources().equals(List.of("events"))
                            && List.of("create", "patch").contains(v))
                        || (r.getResources().equals(List.of("tokenreviews"))
                            && v.equals("create"))));
  }
}
