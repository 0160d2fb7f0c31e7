package dev.portolan.tools.cli.check;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A good install: helm/portolan rendered as {@code helm install portolan -n portolan} would, and
 * applied to a mock API server, so the checks are tested against the objects the chart really makes
 * (names, Secret keys, the caBundle's encoding, generated certificates).
 */
final class ChartInstall {
  static final String RELEASE = "portolan";
  static final String NAMESPACE = "portolan";

  /** helm-java renders for Kubernetes v1.20 unless told; the chart needs 1.27 or later. */
  private static final String KUBE_VERSION = "v1.33.0";

  private static final Path CHART =
      Path.of(System.getProperty("portolan.chart", "../helm/portolan")).toAbsolutePath();
  private static final Pattern SEPARATOR = Pattern.compile("(?m)^---\\s*$");
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private ChartInstall() {}

  /**
   * Renders the chart with {@code sets}. helm-java's template runs the chart's {@code lookup} calls
   * (for existing certificates) against the cluster of $KUBECONFIG, which tools/pom.xml points at a
   * file this writes: a throwaway mock that holds nothing, so the chart generates its certificates
   * as on a first install. The mock answers core/v1 discovery, which Helm needs to map Secret to
   * its resource and the mock does not serve by itself.
   */
  static List<HasMetadata> render(Map<String, Object> sets) {
    KubernetesMockServer mock = new KubernetesMockServer(false);
    mock.init();
    try {
      APIResourceList core =
          new APIResourceListBuilder()
              .withGroupVersion("v1")
              .addNewResource()
              .withName("secrets")
              .withKind("Secret")
              .withNamespaced(true)
              .withVerbs("get", "list")
              .endResource()
              .build();
      mock.expect().get().withPath("/api/v1").andReturn(200, core).always();
      mock.expect().get().withPath("/api/v1?timeout=32s").andReturn(200, core).always();
      try (KubernetesClient c = mock.createClient()) {
        writeKubeconfig(c.getMasterUrl().toString());
      }
      TemplateCommand t =
          new Helm(CHART)
              .template()
              .withName(RELEASE)
              .withNamespace(NAMESPACE)
              .withKubeVersion(KUBE_VERSION);
      for (Map.Entry<String, Object> e : sets.entrySet()) {
        t = t.set(e.getKey(), e.getValue());
      }
      return parse(t.call());
    } finally {
      mock.destroy();
    }
  }

  /** The objects of a render applied to the API server, and the policy-server made ready. */
  static void apply(KubernetesClient client, List<HasMetadata> objects) {
    for (HasMetadata o : objects) {
      client.resource(SERIALIZATION.clone(o)).createOr(NonDeletingOperation::update);
    }
    // The mock runs no controllers: report the replica ready, as the Deployment controller would.
    Deployment d =
        client.apps().deployments().inNamespace(NAMESPACE).withName("portolan-policy-server").get();
    d.setStatus(
        new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
            .withReplicas(1)
            .withReadyReplicas(1)
            .build());
    client.resource(d).updateStatus();
  }

  private static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> out = new ArrayList<>();
    for (String doc : SEPARATOR.split(yaml)) {
      if (doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) {
        continue;
      }
      out.add((HasMetadata) SERIALIZATION.unmarshal(doc));
    }
    return List.copyOf(out);
  }

  private static void writeKubeconfig(String server) {
    String file = System.getenv("KUBECONFIG");
    if (file == null) {
      throw new IllegalStateException(
          "KUBECONFIG is not set: run these tests through Maven (tools/pom.xml sets it)");
    }
    String kubeconfig =
        """
        apiVersion: v1
        kind: Config
        clusters:
          - name: mock
            cluster:
              server: "%s"
        contexts:
          - name: mock
            context: {cluster: mock, user: mock}
        users:
          - name: mock
            user: {token: mock}
        current-context: mock
        """
            .formatted(server);
    try {
      Files.writeString(Path.of(file), kubeconfig);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
