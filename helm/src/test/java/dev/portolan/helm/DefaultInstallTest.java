package dev.portolan.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code helm install portolan helm/portolan -n portolan} with no values: what it creates. */
@EnableKubernetesMockClient(https = false, crud = true)
class DefaultInstallTest {
  static KubernetesMockServer server;
  static KubernetesClient client;
  static Chart.Manifest manifest;

  @BeforeAll
  static void render() {
    HelmLookups.pointAt(server, client);
    manifest = Chart.render().manifest();
  }

  @Test
  void renders_the_control_plane_and_nothing_that_is_off_by_default() {
    assertThat(manifest.names())
        .containsExactlyInAnyOrder(
            "ServiceAccount/portolan-policy-server",
            "ClusterRole/portolan-policy-server",
            "ClusterRoleBinding/portolan-policy-server",
            "CustomResourceDefinition/servers.policy.linkerd.io",
            "ConfigMap/portolan-policy-server-config",
            "ConfigMap/portolan-grafana-dashboard",
            "Secret/portolan-webhook-tls",
            "MutatingWebhookConfiguration/portolan-proxy-injector",
            "Deployment/portolan-policy-server",
            "Service/portolan-policy",
            "Service/portolan-webhook",
            "Service/portolan-admin");
  }

  @Test
  void every_object_applies_to_the_api_server_and_reads_back_unchanged() {
    Apply.all(client, manifest);
  }

  @Test
  void the_deployment_runs_one_restricted_replica_on_the_kubernetes_source() {
    Deployment d = manifest.one(Deployment.class, "portolan-policy-server");
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    Container c = pod.getContainers().getFirst();

    assertThat(d.getSpec().getReplicas()).isEqualTo(1);
    assertThat(pod.getAffinity()).isNull();
    assertThat(pod.getServiceAccountName()).isEqualTo("portolan-policy-server");
    assertThat(c.getImage()).isEqualTo("portolan/policy-server:0.1.0");
    assertThat(c.getArgs())
        .contains("--portolan.source=kubernetes")
        .anyMatch(
            a -> a.startsWith("--spring.config.additional-location=file:/etc/portolan/config/"));

    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(2103L);
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    var sc = c.getSecurityContext();
    assertThat(sc.getReadOnlyRootFilesystem()).isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).isFalse();
    assertThat(sc.getRunAsNonRoot()).isTrue();
    assertThat(sc.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(sc.getCapabilities().getAdd()).isNullOrEmpty();
    assertThat(sc.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

    assertThat(c.getReadinessProbe().getHttpGet().getPath())
        .isEqualTo("/actuator/health/readiness");
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
    assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
    assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("admin-http");
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(c.getResources().getLimits()).containsKey("memory");

    assertThat(c.getPorts())
        .extracting(ContainerPort::getName, ContainerPort::getContainerPort)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("grpc", 8086),
            org.assertj.core.groups.Tuple.tuple("admin-http", 8080),
            org.assertj.core.groups.Tuple.tuple("webhook", 9443));
    // A read-only root needs a writable /tmp for Netty's native libraries.
    assertThat(c.getVolumeMounts())
        .anyMatch(m -> m.getMountPath().equals("/tmp") && !Boolean.TRUE.equals(m.getReadOnly()));
  }

  @Test
  void the_deployment_selector_matches_its_pods_and_the_services_select_them_by_port_name() {
    Deployment d = manifest.one(Deployment.class, "portolan-policy-server");
    Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
    assertThat(podLabels).containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
    List<String> containerPorts =
        d.getSpec().getTemplate().getSpec().getContainers().getFirst().getPorts().stream()
            .map(ContainerPort::getName)
            .toList();

    for (Service s : manifest.all(Service.class)) {
      assertThat(podLabels)
          .as(s.getMetadata().getName())
          .containsAllEntriesOf(s.getSpec().getSelector());
      for (ServicePort p : s.getSpec().getPorts()) {
        assertThat(containerPorts)
            .as(s.getMetadata().getName())
            .contains(p.getTargetPort().getStrVal());
      }
    }
    Service grpc = manifest.one(Service.class, "portolan-policy");
    assertThat(grpc.getSpec().getClusterIP()).as("headless").isEqualTo("None");
    assertThat(grpc.getSpec().getPorts().getFirst().getPort()).isEqualTo(8086);
    assertThat(
            manifest
                .one(Service.class, "portolan-webhook")
                .getSpec()
                .getPorts()
                .getFirst()
                .getPort())
        .isEqualTo(443);
    assertThat(
            manifest.one(Service.class, "portolan-admin").getSpec().getPorts().getFirst().getPort())
        .isEqualTo(8080);
  }

  @Test
  void the_webhook_trusts_exactly_the_ca_that_signed_its_serving_certificate() throws Exception {
    MutatingWebhookConfiguration mwc =
        manifest.one(MutatingWebhookConfiguration.class, "portolan-proxy-injector");
    MutatingWebhook w = mwc.getWebhooks().getFirst();
    Secret tls = manifest.one(Secret.class, "portolan-webhook-tls");
    // One replica: a pod created while it restarts starts unmeshed rather than being refused.
    assertThat(w.getFailurePolicy()).isEqualTo("Ignore");

    X509Certificate ca = TestCertificates.certificate(decode(w.getClientConfig().getCaBundle()));
    X509Certificate serving = TestCertificates.certificate(decode(tls.getData().get("tls.crt")));
    serving.verify(ca.getPublicKey());
    serving.checkValidity();
    assertThat(decode(tls.getData().get("ca.crt")))
        .isEqualTo(decode(w.getClientConfig().getCaBundle()));
    assertThat(TestCertificates.publicKeyOf(decode(tls.getData().get("tls.key"))))
        .isEqualTo(serving.getPublicKey());
    assertThat(serving.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))))
        .contains("portolan-webhook.portolan.svc", "portolan-webhook.portolan.svc.cluster.local");

    assertThat(w.getClientConfig().getService().getName()).isEqualTo("portolan-webhook");
    assertThat(w.getClientConfig().getService().getNamespace()).isEqualTo(Chart.NAMESPACE);
    assertThat(w.getClientConfig().getService().getPort()).isEqualTo(443);
    assertThat(w.getFailurePolicy()).isEqualTo("Ignore");
    assertThat(w.getSideEffects()).isEqualTo("None");
    assertThat(w.getAdmissionReviewVersions()).containsExactly("v1");
    assertThat(w.getRules())
        .singleElement()
        .satisfies(r -> {
          assertThat(r.getOperations()).containsExactly("CREATE");
          assertThat(r.getResources()).containsExactly("pods");
        });
    LabelSelectorRequirement byName =
        w.getNamespaceSelector().getMatchExpressions().stream()
            .filter(e -> e.getKey().equals("kubernetes.io/metadata.name"))
            .findFirst()
            .orElseThrow();
    assertThat(byName.getOperator()).isEqualTo("NotIn");
    assertThat(byName.getValues()).containsExactlyInAnyOrder(Chart.NAMESPACE, "kube-system");

    // The policy-server serves the webhook with the same Secret.
    Deployment d = manifest.one(Deployment.class, "portolan-policy-server");
    assertThat(d.getSpec().getTemplate().getSpec().getVolumes())
        .anyMatch(v ->
            v.getSecret() != null && v.getSecret().getSecretName().equals("portolan-webhook-tls"));
  }

  @Test
  void the_settings_reach_the_policy_server_as_spring_properties_of_the_right_type() {
    Map<String, Object> app =
        Yaml.map(
            manifest
                .one(ConfigMap.class, "portolan-policy-server-config")
                .getData()
                .get("application.yaml"));

    assertThat(Yaml.at(app, "portolan.source")).isEqualTo("kubernetes");
    assertThat(Yaml.at(app, "portolan.control-plane-namespace")).isEqualTo(Chart.NAMESPACE);
    assertThat(Yaml.at(app, "portolan.default-opaque-ports"))
        .isEqualTo("25,587,3306,4444,5432,6379,9300,11211");
    // "off" must stay a string: unquoted YAML would read it as false.
    assertThat(Yaml.at(app, "portolan.grpc.tls")).isEqualTo("off");
    assertThat(Yaml.at(app, "portolan.grpc.port")).isEqualTo(8086);
    assertThat(Yaml.at(app, "portolan.network-policy.rewrite")).isEqualTo("aware");
    assertThat(Yaml.at(app, "portolan.identity.enabled")).isEqualTo(false);
    assertThat(Yaml.at(app, "portolan.injector.proxy.uid")).isEqualTo(2102);
    assertThat(Yaml.at(app, "portolan.injector.proxy.policy-server"))
        .isEqualTo("portolan-policy.portolan.svc.cluster.local:8086");
    assertThat(Yaml.at(app, "portolan.injector.proxy-init.image"))
        .isEqualTo("portolan/proxy:0.1.0");
    assertThat(Yaml.at(app, "portolan.injector.cert-file"))
        .isEqualTo("/var/run/portolan/webhook-tls/tls.crt");
    // The injector names the policy-server's identity as the gRPC port presents it.
    assertThat(Yaml.at(app, "portolan.injector.identity.enabled")).isEqualTo(false);
    assertThat(Yaml.at(app, "portolan.injector.identity.trust-domain")).isEqualTo("cluster.local");
    assertThat(Yaml.at(app, "portolan.injector.identity.policy-server-service-account"))
        .isEqualTo("portolan-policy")
        .isEqualTo(Yaml.at(app, "portolan.grpc.tls-service-account"));
  }

  @Test
  void an_upgrade_keeps_the_generated_webhook_certificate() {
    {
      Secret first = manifest.one(Secret.class, "portolan-webhook-tls");
      Apply.one(client, first);

      Chart.Manifest upgrade = Chart.render().manifest();

      assertThat(upgrade.one(Secret.class, "portolan-webhook-tls").getData())
          .isEqualTo(first.getData());
      assertThat(
              upgrade
                  .one(MutatingWebhookConfiguration.class, "portolan-proxy-injector")
                  .getWebhooks()
                  .getFirst()
                  .getClientConfig()
                  .getCaBundle())
          .isEqualTo(first.getData().get("ca.crt"));
    }
  }

  @Test
  void the_control_plane_itself_is_never_injected() {
    Deployment d = manifest.one(Deployment.class, "portolan-policy-server");
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("linkerd.io/inject", "disabled");
  }

  static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.US_ASCII);
  }
}
