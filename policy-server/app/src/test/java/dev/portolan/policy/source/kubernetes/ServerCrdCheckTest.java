package dev.portolan.policy.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portolan.policy.index.Index;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.resolve.Resolver;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.SyncState;
import dev.portolan.policy.source.TokenReports;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The cluster source's start on an API server without a usable Server CRD. */
class ServerCrdCheckTest {
  /** Generous: every case here must fail well before it. */
  static final Duration SYNC_TIMEOUT = Duration.ofSeconds(30);

  /** The example RBAC (the chart's rules), granting nothing on CRDs. */
  static final String EXAMPLE_RBAC = "../../examples/rbac/policy-server-rbac.yaml";

  static final String EXAMPLE_SERVICE_ACCOUNT =
      "system:serviceaccount:portolan:portolan-policy-server";

  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final Index index = new Index(new Resolver(MeshSettings.defaults()));
  final SyncState sync = new SyncState();
  final ApiServerMock mock = new ApiServerMock();
  KubernetesSource source;

  @AfterEach
  void tearDown() {
    if (source != null) {
      source.close();
    }
    mock.close();
    index.close();
  }

  /**
   * Why the other tests use {@link ApiServerMock}: the plain CRUD mock stores and lists any
   * resource, CRD or not, so against it a missing CRD could never be noticed.
   */
  @Test
  void the_plain_crud_mock_lists_servers_without_any_crd() {
    KubernetesMockServer plain =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(),
            false);
    plain.init(InetAddress.getLoopbackAddress(), 0);
    try (KubernetesClient client = plain.createClient()) {
      assertThat(
              client
                  .apiextensions()
                  .v1()
                  .customResourceDefinitions()
                  .withName(ServerCrdCheck.CRD_NAME)
                  .get())
          .isNull();
      assertThat(
              client
                  .genericKubernetesResources(KubernetesSource.SERVERS)
                  .inAnyNamespace()
                  .list()
                  .getItems())
          .isEmpty();
    } finally {
      plain.destroy();
    }
  }

  @Test
  void the_mock_answers_404_for_servers_until_the_crd_serves_their_version() {
    try (KubernetesClient admin = mock.client(ApiServerMock.ADMIN)) {
      var servers = admin.genericKubernetesResources(KubernetesSource.SERVERS).inAnyNamespace();
      assertThatThrownBy(servers::list)
          .isInstanceOfSatisfying(
              KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(404));

      admin.resource(serverCrd("v1beta1", "v1beta2")).create();
      assertThatThrownBy(servers::list).isInstanceOf(KubernetesClientException.class);

      admin.resource(serverCrd("v1beta1", "v1beta2", "v1beta3")).update();
      assertThat(servers.list().getItems()).isEmpty();
    }
  }

  static Stream<Arguments> unusableCrds() {
    return Stream.of(
        Arguments.of(
            "no CRD, readable",
            List.of(),
            ApiServerMock.ADMIN,
            "The Server CRD servers.policy.linkerd.io is not installed."),
        Arguments.of(
            "an older CRD, readable",
            List.of("v1beta1", "v1beta2"),
            ApiServerMock.ADMIN,
            "The Server CRD servers.policy.linkerd.io is installed but serves [v1beta1, v1beta2],"
                + " not v1beta3"),
        Arguments.of(
            "no CRD, RBAC forbids reading CRDs",
            List.of(),
            EXAMPLE_SERVICE_ACCOUNT,
            "the Server CRD is not installed, or is an older one without v1beta3"),
        Arguments.of(
            "an older CRD, RBAC forbids reading CRDs",
            List.of("v1beta1", "v1beta2"),
            EXAMPLE_SERVICE_ACCOUNT,
            "the Server CRD is not installed, or is an older one without v1beta3"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unusableCrds")
  void start_fails_at_once_naming_the_crd_and_the_fix(
      String name, List<String> served, String user, String expected) throws IOException {
    try (KubernetesClient admin = mock.client(ApiServerMock.ADMIN);
        InputStream rbac = new FileInputStream(EXAMPLE_RBAC)) {
      admin
          .resource(
              new NamespaceBuilder().withNewMetadata().withName("portolan").endMetadata().build())
          .create();
      admin.load(rbac).items().forEach(o -> admin.resource(o).create());
      if (!served.isEmpty()) {
        admin.resource(serverCrd(served.toArray(String[]::new))).create();
      }
    }
    try (KubernetesClient client = mock.client(user)) {
      source = newSource(client);
      long start = System.nanoTime();

      assertThatThrownBy(source::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(expected)
          .hasMessageContaining("crds.install=true")
          .hasMessageContaining("docs/install.md");

      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(SYNC_TIMEOUT.dividedBy(3));
      assertThat(sync.allSynced()).isFalse();
    }
  }

  @Test
  void with_the_crd_the_source_syncs_and_reads_servers_at_v1beta3() {
    try (KubernetesClient admin = mock.client(ApiServerMock.ADMIN)) {
      admin.resource(serverCrd("v1beta1", "v1beta2", "v1beta3")).create();
      source = newSource(admin);
      source.start();
      assertThat(sync.allSynced()).isTrue();

      admin
          .genericKubernetesResources(KubernetesSource.SERVERS)
          .inNamespace("apps")
          .resource(server("apps", "web-http"))
          .create();
      await().until(() -> !index.snapshot().servers("apps").isEmpty());
    }
  }

  private KubernetesSource newSource(KubernetesClient client) {
    return new KubernetesSource(
        client, new ClusterSink(index, new TokenReports(registry)), sync, SYNC_TIMEOUT, registry);
  }

  /** Linkerd's Server CRD reduced to what the API server's routing reads: names and versions. */
  static CustomResourceDefinition serverCrd(String... served) {
    List<CustomResourceDefinitionVersion> versions =
        Stream.of(served)
            .map(v ->
                new CustomResourceDefinitionVersionBuilder()
                    .withName(v)
                    .withServed(true)
                    .withStorage(v.equals(served[served.length - 1]))
                    .build())
            .toList();
    return new CustomResourceDefinitionBuilder()
        .withNewMetadata()
        .withName(ServerCrdCheck.CRD_NAME)
        .endMetadata()
        .withNewSpec()
        .withGroup("policy.linkerd.io")
        .withScope("Namespaced")
        .withNewNames()
        .withPlural("servers")
        .withSingular("server")
        .withKind("Server")
        .endNames()
        .withVersions(versions)
        .endSpec()
        .build();
  }

  static GenericKubernetesResource server(String namespace, String name) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("policy.linkerd.io/v1beta3")
        .withKind("Server")
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .endMetadata()
        .withAdditionalProperties(
            Map.of(
                "spec",
                Map.of(
                    "podSelector",
                    Map.of("matchLabels", Map.of("app", "web")),
                    "port",
                    8080,
                    "proxyProtocol",
                    "HTTP/1")))
        .build();
  }
}
