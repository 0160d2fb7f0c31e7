package dev.portolan.policy.source.kubernetes;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code helm install portolan helm/portolan -n portolan --create-namespace}, onto a mock API
 * server: the chart rendered by helm-java (as the helm module's tests render it), its objects
 * created through the API. helm-java runs the chart's {@code lookup} calls against the cluster
 * KUBECONFIG names and reads that variable only from the environment, so policy-server/app's pom
 * sets it to a file that {@link #kubeconfig} writes.
 */
final class ChartInstall {
  static final String RELEASE = "portolan";
  static final String NAMESPACE = "portolan";

  /** The policy-server's identity in the cluster: the chart's ServiceAccount. */
  static final String SERVICE_ACCOUNT =
      "system:serviceaccount:" + NAMESPACE + ":" + RELEASE + "-policy-server";

  static final Path CHART =
      Path.of(System.getProperty("portolan.chart", "../../helm/portolan")).toAbsolutePath();

  /** The chart's kubeVersion needs 1.27 or later; helm-java assumes 1.20 unless told. */
  private static final String KUBE_VERSION = "v1.33.0";

  private ChartInstall() {}

  /** Renders the chart with {@code values} set and creates every object; returns them. */
  static List<HasMetadata> install(ApiServerMock mock, Map<String, Object> values) {
    kubeconfig(mock, ApiServerMock.ADMIN);
    TemplateCommand template =
        new Helm(CHART)
            .template()
            .withName(RELEASE)
            .withNamespace(NAMESPACE)
            .withKubeVersion(KUBE_VERSION);
    for (Map.Entry<String, Object> v : values.entrySet()) {
      template = template.set(v.getKey(), v.getValue());
    }
    String yaml = template.call();
    try (KubernetesClient admin = mock.client(ApiServerMock.ADMIN)) {
      admin
          .resource(
              new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build())
          .create();
      List<HasMetadata> objects =
          admin.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
      for (HasMetadata o : objects) {
        admin.resource(o).create();
      }
      return objects;
    }
  }

  /** Points KUBECONFIG (helm-java, and fabric8's own discovery) at the mock as {@code token}. */
  static void kubeconfig(ApiServerMock mock, String token) {
    try {
      Files.writeString(file(), mock.kubeconfig(token));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes the file, so no later test finds a kubeconfig pointing at a stopped mock. */
  static void forgetKubeconfig() {
    try {
      Files.deleteIfExists(file());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path file() {
    String file = System.getenv("KUBECONFIG");
    if (file == null) {
      throw new IllegalStateException(
          "KUBECONFIG is not set: run this test through Maven (policy-server/app/pom.xml sets it)");
    }
    return Path.of(file);
  }
}
