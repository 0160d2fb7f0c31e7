package dev.portolan.tools.cli.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.tools.cli.Portolan;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code portolan check} against a mock API server holding what {@code helm install portolan
 * helm/portolan -n portolan --set identity.enabled=true} creates, then with one thing broken at a
 * time: each failure is named on its own line with its fix, and the exit status says so.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class CheckCommandTest {
  static List<HasMetadata> chart;

  /** A fresh mock per test (instance field): each test breaks the install its own way. */
  KubernetesClient client;

  @BeforeAll
  static void render() {
    chart = ChartInstall.render(Map.of("identity.enabled", true));
  }

  @BeforeEach
  void install() {
    ChartInstall.apply(client, chart);
  }

  @Test
  void passes_against_a_good_install() {
    Run r = check();

    assertThat(r.status).as(r.out).isEqualTo(Portolan.OK);
    assertThat(r.lines()).filteredOn(l -> l.startsWith("✔ ")).hasSize(CheckCommand.CHECKS.size());
    assertThat(r.out)
        .doesNotContain("✘")
        .contains("✔ the Server CRD servers.policy.linkerd.io is installed and served:")
        .contains("✔ RBAC lets the policy-server list and watch its sources:")
        .contains("✔ the webhook's certificate is valid and signed by its caBundle:")
        .contains("portolan-webhook.portolan.svc signed by CN=portolan-webhook.portolan webhook CA")
        .contains("✔ the identity trust anchor is valid for 30 days or more:")
        .contains("✔ the policy-server is ready: 1 of 1 replicas ready")
        .contains("all checks passed (8 passed, 0 failed, 0 skipped)");
  }

  @Test
  void fails_naming_the_fix_when_the_server_crd_is_missing() {
    client.apiextensions().v1().customResourceDefinitions().withName(ServerCrdCheck.CRD).delete();

    Run r = check();

    assertThat(r.status).as(r.out).isEqualTo(Portolan.FAILED);
    assertThat(r.failures())
        .containsExactly(
            "✘ the Server CRD servers.policy.linkerd.io is installed and served:"
                + " CustomResourceDefinition servers.policy.linkerd.io not found: the"
                + " policy-server cannot watch Server objects and does not start");
    assertThat(r.fixOf("the Server CRD"))
        .isEqualTo(
            "    fix: install it with the chart: helm upgrade portolan helm/portolan -n portolan"
                + " --reuse-values --set crds.install=true (or, to share Linkerd's, install the"
                + " linkerd-crds chart)");
    assertThat(r.out).contains("1 check failed (7 passed, 1 failed, 0 skipped)");
  }

  @Test
  void fails_naming_the_fix_when_the_webhook_ca_bundle_is_another_ca() {
    TestCa other = TestCa.selfSigned("another CA", Duration.ofDays(365));
    MutatingWebhookConfiguration mwc =
        client
            .admissionRegistration()
            .v1()
            .mutatingWebhookConfigurations()
            .withName("portolan-proxy-injector")
            .get();
    mwc.getWebhooks()
        .getFirst()
        .getClientConfig()
        .setCaBundle(
            Base64.getEncoder().encodeToString(other.pem().getBytes(StandardCharsets.UTF_8)));
    client.resource(mwc).update();

    Run r = check();

    assertThat(r.status).as(r.out).isEqualTo(Portolan.FAILED);
    assertThat(r.failures())
        .containsExactly(
            "✘ the webhook's certificate is valid and signed by its caBundle: the caBundle of"
                + " portolan-proxy-injector (CN=another CA) did not sign the serving certificate"
                + " in Secret portolan/portolan-webhook-tls (issued by CN=portolan-webhook.portolan"
                + " webhook CA): the API server refuses the webhook's TLS and pods go uninjected");
    assertThat(r.fixOf("the webhook's certificate"))
        .startsWith(
            "    fix: with generated certificates (injector.tls.generate=true) delete the Secret"
                + " and upgrade, which makes the CA, the certificate and the caBundle anew,"
                + " together: kubectl -n portolan delete secret portolan-webhook-tls && helm"
                + " upgrade portolan helm/portolan -n portolan --reuse-values; with your own, set"
                + " injector.tls.caBundle to the CA that signed injector.tls.crtPEM");
  }

  @Test
  void fails_naming_the_fix_when_the_trust_anchor_expires_within_30_days() {
    TestCa anchor = TestCa.selfSigned("root.portolan.cluster.local", Duration.ofDays(10));
    // Only the anchor is short: the issuer check has nothing to say.
    TestCa issuer = anchor.intermediate("identity.portolan.cluster.local", Duration.ofDays(60));
    replaceIdentity(anchor, issuer);
    String expiry = Certificates.date(Certificates.notAfter(anchor.cert()));

    Run r = check();

    assertThat(r.status).as(r.out).isEqualTo(Portolan.FAILED);
    assertThat(r.failures())
        .containsExactly(
            "✘ the identity trust anchor is valid for 30 days or more: trust anchor"
                + " CN=root.portolan.cluster.local expires on "
                + expiry
                + " (in 9 days) (ConfigMap portolan/portolan-identity-trust-roots)");
    assertThat(r.fixOf("the identity trust anchor"))
        .startsWith(
            "    fix: rotate it (docs/cli.md, Rotating the trust anchor): make a new trust anchor"
                + " and an issuer signed by it; upgrade with both anchors in"
                + " identity.trustAnchorsPEM and the new issuer (helm upgrade portolan"
                + " helm/portolan -n portolan --reuse-values --set identity.generate=false");
  }

  @Test
  void passes_a_trust_anchor_with_more_than_30_days_left_and_its_intermediate_issuer() {
    TestCa anchor = TestCa.selfSigned("root.portolan.cluster.local", Duration.ofDays(365));
    replaceIdentity(
        anchor, anchor.intermediate("identity.portolan.cluster.local", Duration.ofDays(90)));

    Run r = check();

    assertThat(r.status).as(r.out).isEqualTo(Portolan.OK);
    assertThat(r.out)
        .contains(
            "✔ the identity issuer is signed by the trust anchor and valid:"
                + " CN=identity.portolan.cluster.local");
  }

  @Test
  void fails_an_issuer_that_no_trust_anchor_signed() {
    TestCa anchor = TestCa.selfSigned("root.portolan.cluster.local", Duration.ofDays(365));
    TestCa stranger = TestCa.selfSigned("elsewhere", Duration.ofDays(365));
    replaceIdentity(
        anchor, stranger.intermediate("identity.portolan.cluster.local", Duration.ofDays(90)));

    Run r = check();

    assertThat(r.status).isEqualTo(Portolan.FAILED);
    assertThat(r.failures())
        .containsExactly(
            "✘ the identity issuer is signed by the trust anchor and valid: the issuer"
                + " CN=identity.portolan.cluster.local (issued by CN=elsewhere) does not chain to"
                + " any trust anchor: proxies reject the certificates it signs");
  }

  @Test
  void fails_naming_the_verbs_the_service_account_lacks() {
    ClusterRole role = client.rbac().clusterRoles().withName("portolan-policy-server").get();
    // A ClusterRole that forgot watch on pods and everything on endpointslices.
    role.getRules().removeIf(r -> r.getResources().contains("endpointslices"));
    role.getRules().getFirst().getResources().remove("pods");
    role.getRules()
        .add(
            new io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder()
                .withApiGroups("")
                .withResources("pods")
                .withVerbs("get", "list")
                .build());
    client.resource(role).update();

    Run r = check();

    assertThat(r.status).isEqualTo(Portolan.FAILED);
    assertThat(r.failures())
        .containsExactly(
            "✘ RBAC lets the policy-server list and watch its sources: ServiceAccount"
                + " portolan/portolan-policy-server may not watch pods, list/watch"
                + " endpointslices.discovery.k8s.io (bound through portolan-policy-server →"
                + " ClusterRole portolan-policy-server)");
    assertThat(r.fixOf("RBAC")).contains("kubectl apply -f examples/rbac/policy-server-rbac.yaml");
  }

  @Test
  void fails_when_no_policy_server_replica_is_ready() {
    var d =
        client
            .apps()
            .deployments()
            .inNamespace("portolan")
            .withName("portolan-policy-server")
            .get();
    d.getStatus().setReadyReplicas(0);
    client.resource(d).updateStatus();

    Run r = check();

    assertThat(r.status).isEqualTo(Portolan.FAILED);
    assertThat(r.failures())
        .containsExactly(
            "✘ the policy-server is ready: 0 of 1 replicas ready (Deployment"
                + " portolan/portolan-policy-server)");
    assertThat(r.fixOf("the policy-server is ready"))
        .contains("kubectl -n portolan logs deploy/portolan-policy-server");
  }

  @Test
  void skips_the_identity_checks_when_identity_is_off() {
    ConfigMap config =
        client.configMaps().inNamespace("portolan").withName("portolan-policy-server-config").get();
    client.resource(withIdentityOff(config)).update();
    client.configMaps().inNamespace("portolan").withName("portolan-identity-trust-roots").delete();

    Run r = check();

    assertThat(r.status).as(r.out).isEqualTo(Portolan.OK);
    assertThat(r.out)
        .contains(
            "– the identity trust anchor is valid for 30 days or more (skipped: identity is off"
                + " (identity.enabled=false))")
        .contains("(6 passed, 0 failed, 2 skipped)");
  }

  @Test
  void skips_everything_after_an_api_server_that_does_not_answer() {
    Run r =
        run(
            ctx ->
                new KubernetesClientBuilder()
                    .withConfig(
                        new io.fabric8.kubernetes.client.ConfigBuilder()
                            .withMasterUrl("http://127.0.0.1:1")
                            .withRequestRetryBackoffLimit(0)
                            .build())
                    .build(),
            StandardCharsets.UTF_8);

    assertThat(r.status).isEqualTo(Portolan.FAILED);
    assertThat(r.failures())
        .hasSize(1)
        .first()
        .asString()
        .startsWith("✘ the Kubernetes API server answers: no answer from http://127.0.0.1:1/");
    assertThat(r.out).contains("1 check failed (0 passed, 1 failed, 7 skipped)");
  }

  @Test
  void marks_results_in_ascii_where_the_output_cannot_show_check_marks() {
    client.apiextensions().v1().customResourceDefinitions().withName(ServerCrdCheck.CRD).delete();

    Run r = run(this::connect, StandardCharsets.US_ASCII);

    assertThat(r.out)
        .contains("[ok] the Kubernetes API server answers")
        .contains("[FAIL] the Server CRD servers.policy.linkerd.io is installed and served")
        .doesNotContain("✔");
  }

  private void replaceIdentity(TestCa anchor, TestCa issuer) {
    ConfigMap roots =
        client.configMaps().inNamespace("portolan").withName("portolan-identity-trust-roots").get();
    roots.getData().put("ca-bundle.crt", anchor.pem());
    client.resource(roots).update();
    Secret secret =
        client.secrets().inNamespace("portolan").withName("portolan-identity-issuer").get();
    secret.getData().put("tls.crt", b64(issuer.pem()));
    secret.getData().put("ca.crt", b64(anchor.pem()));
    client.resource(secret).update();
  }

  private static ConfigMap withIdentityOff(ConfigMap config) {
    String yaml = config.getData().get("application.yaml");
    // portolan.identity (two spaces), not portolan.injector.identity (four).
    int identity = yaml.indexOf("\n  identity:");
    if (identity < 0) {
      throw new IllegalStateException("no portolan.identity block in:\n" + yaml);
    }
    int enabled = yaml.indexOf("enabled: true", identity);
    config
        .getData()
        .put(
            "application.yaml",
            yaml.substring(0, enabled)
                + "enabled: false"
                + yaml.substring(enabled + "enabled: true".length()));
    return config;
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A new client on the mock, as the command would make from a kubeconfig. */
  private KubernetesClient connect(String context) {
    return new KubernetesClientBuilder().withConfig(client.getConfiguration()).build();
  }

  private Run check() {
    return run(this::connect, StandardCharsets.UTF_8);
  }

  private static Run run(CheckCommand.Clients clients, Charset charset) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Portolan cli = new Portolan(List.of(new CheckCommand(clients, Clock.systemUTC())));
    int status =
        cli.run(
            List.of("check", "--namespace", "portolan"),
            new PrintStream(out, true, charset),
            new PrintStream(err, true, charset));
    return new Run(status, out.toString(charset) + err.toString(charset));
  }

  record Run(int status, String out) {
    List<String> lines() {
      return out.lines().toList();
    }

    List<String> failures() {
      return lines().stream().filter(l -> l.startsWith("✘ ")).toList();
    }

    /** The fix printed under the failed check whose name starts with {@code name}. */
    String fixOf(String name) {
      List<String> ls = new ArrayList<>(lines());
      for (int i = 0; i < ls.size() - 1; i++) {
        if (ls.get(i).startsWith("✘ " + name)) {
          return ls.get(i + 1);
        }
      }
      throw new AssertionError("no failed check " + name + " in\n" + out);
    }
  }
}
