package dev.portolan.helm;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Points helm-java at a fabric8 mock API server. helm-java's {@code template} runs the chart's
 * {@code lookup} calls against a cluster (plain {@code helm template} does not, and its lookups
 * return nothing): the tests give it the mock, which also lets them check that an upgrade reuses
 * the certificates an install generated.
 *
 * <p>The mock in CRUD mode stores objects but does not answer API discovery, which Helm needs to
 * map a kind to its resource; the one group the chart looks up (core v1 Secrets) is stubbed.
 */
final class HelmLookups {
  private HelmLookups() {}

  static void pointAt(KubernetesMockServer server, KubernetesClient client) {
    APIResourceList core =
        new APIResourceListBuilder()
            .withGroupVersion("v1")
            .addNewResource()
            .withName("secrets")
            .withSingularName("secret")
            .withKind("Secret")
            .withNamespaced(true)
            .withVerbs("create", "delete", "get", "list", "patch", "update", "watch")
            .endResource()
            .build();
    server.expect().get().withPath("/api/v1").andReturn(200, core).always();
    server.expect().get().withPath("/api/v1?timeout=32s").andReturn(200, core).always();
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
            context:
              cluster: mock
              user: mock
        users:
          - name: mock
            user:
              token: mock
        current-context: mock
        """
            .formatted(client.getMasterUrl());
    String file = System.getenv("KUBECONFIG");
    if (file == null) {
      throw new IllegalStateException(
          "KUBECONFIG is not set: run these tests through Maven (helm/pom.xml sets it)");
    }
    try {
      Files.writeString(Path.of(file), kubeconfig);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
