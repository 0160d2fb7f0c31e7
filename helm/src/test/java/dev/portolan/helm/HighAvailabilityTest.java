package dev.portolan.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code -f values-ha.yaml}: replicas spread over nodes, evicted one at a time. */
@EnableKubernetesMockClient(https = false, crud = true)
class HighAvailabilityTest {
  static KubernetesMockServer server;
  static KubernetesClient client;
  static Chart.Manifest manifest;

  @BeforeAll
  static void render() {
    HelmLookups.pointAt(server, client);
    manifest = Chart.render().chartValues("values-ha.yaml").manifest();
  }

  @Test
  void runs_at_least_two_replicas_never_two_on_one_node() {
    Deployment d = manifest.one(Deployment.class, "portolan-policy-server");
    Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();

    assertThat(d.getSpec().getReplicas()).isGreaterThanOrEqualTo(2);
    PodAffinityTerm term =
        d.getSpec()
            .getTemplate()
            .getSpec()
            .getAffinity()
            .getPodAntiAffinity()
            .getRequiredDuringSchedulingIgnoredDuringExecution()
            .getFirst();
    assertThat(term.getTopologyKey()).isEqualTo("kubernetes.io/hostname");
    assertThat(podLabels).containsAllEntriesOf(term.getLabelSelector().getMatchLabels());
    // Rolling updates surge first: capacity never drops below the replica count.
    assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal())
        .isZero();
  }

  @Test
  void a_disruption_budget_lets_one_replica_go_at_a_time() {
    PodDisruptionBudget pdb = manifest.one(PodDisruptionBudget.class, "portolan-policy-server");
    Deployment d = manifest.one(Deployment.class, "portolan-policy-server");

    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(pdb.getSpec().getSelector().getMatchLabels())
        .isEqualTo(d.getSpec().getSelector().getMatchLabels());
  }

  @Test
  void preferred_anti_affinity_is_available_for_clusters_with_fewer_nodes() {
    Deployment d =
        Chart.render()
            .chartValues("values-ha.yaml")
            .set("policyServer.podAntiAffinity.type", "preferred")
            .manifest()
            .one(Deployment.class, "portolan-policy-server");

    var anti = d.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity();
    assertThat(anti.getRequiredDuringSchedulingIgnoredDuringExecution()).isNullOrEmpty();
    assertThat(anti.getPreferredDuringSchedulingIgnoredDuringExecution())
        .singleElement()
        .satisfies(w ->
            assertThat(w.getPodAffinityTerm().getTopologyKey())
                .isEqualTo("kubernetes.io/hostname"));
  }

  @Test
  void the_webhook_fails_closed_served_by_several_replicas_under_a_budget() {
    MutatingWebhookConfiguration mwc =
        manifest.one(MutatingWebhookConfiguration.class, "portolan-proxy-injector");
    Deployment d = manifest.one(Deployment.class, "portolan-policy-server");
    PodDisruptionBudget pdb = manifest.one(PodDisruptionBudget.class, "portolan-policy-server");

    assertThat(mwc.getWebhooks())
        .allSatisfy(w -> assertThat(w.getFailurePolicy()).isEqualTo("Fail"));
    assertThat(d.getSpec().getReplicas()).isGreaterThanOrEqualTo(2);
    assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isLessThan(d.getSpec().getReplicas());
  }

  @Test
  void every_object_applies_to_the_api_server_and_reads_back_unchanged() {
    Apply.all(client, manifest);
  }
}
