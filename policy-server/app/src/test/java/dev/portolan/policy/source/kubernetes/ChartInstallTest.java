package dev.portolan.policy.source.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.policy.Recorder;
import dev.portolan.policy.grpc.GrpcServer;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The policy-server run as the chart's Deployment runs it, against an API server that holds only
 * what {@code helm install} puts there (plus the release namespace): the chart's CRD, RBAC,
 * ConfigMaps, Secrets, webhook configuration and Services. The server authenticates as the chart's
 * ServiceAccount and the mock enforces the chart's RBAC, so a permission the chart forgot fails
 * here as it would in a cluster.
 */
class ChartInstallTest {
  @TempDir Path root;
  ApiServerMock mock;
  ConfigurableApplicationContext app;

  @BeforeEach
  void startApiServer() {
    mock = new ApiServerMock();
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
    mock.close();
    ChartInstall.forgetKubeconfig();
  }

  @Test
  void becomes_ready_on_what_the_chart_installs_and_serves_objects_created_afterwards()
      throws Exception {
    List<HasMetadata> installed = ChartInstall.install(mock, Map.of());
    ChartInstall.kubeconfig(mock, ChartInstall.SERVICE_ACCOUNT);

    app = PolicyServerPod.run(installed, root);

    String adminPort = app.getEnvironment().getProperty("local.server.port");
    assertThat(get("http://127.0.0.1:" + adminPort + "/actuator/health/readiness")).isEqualTo(200);
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", app.getBean(GrpcServer.class).port())
            .usePlaintext()
            .build();
    try {
      assertThat(
              HealthGrpc.newBlockingStub(channel)
                  .check(HealthCheckRequest.getDefaultInstance())
                  .getStatus())
          .isEqualTo(ServingStatus.SERVING);

      try (KubernetesClient admin = mock.client(ApiServerMock.ADMIN)) {
        createShop(admin);
      }
      DestinationGrpc.DestinationStub destination = DestinationGrpc.newStub(channel);
      // The Service's annotation reaches its profile; the Server (a custom resource, served
      // because the chart installed its CRD) makes the pod's port opaque.
      Recorder<DestinationProfile> byName = profile(destination, "db.shop.svc.cluster.local:7000");
      Recorder<DestinationProfile> byPodIp = profile(destination, "10.42.9.10:7000");
      await().until(() -> byName.last() != null && byName.last().getOpaqueProtocol());
      await().until(() -> byPodIp.last() != null && byPodIp.last().getOpaqueProtocol());
    } finally {
      channel.shutdownNow();
    }
    assertThat(mock.forbidden()).as("calls the chart's RBAC refused").isEmpty();
  }

  @Test
  void without_the_crd_fails_at_once_naming_it_and_the_fix() {
    List<HasMetadata> installed = ChartInstall.install(mock, Map.of("crds.install", false));
    ChartInstall.kubeconfig(mock, ChartInstall.SERVICE_ACCOUNT);
    assertThat(installed).noneMatch(o -> o.getKind().equals("CustomResourceDefinition"));

    long start = System.nanoTime();
    assertThatThrownBy(() -> app = PolicyServerPod.run(installed, root))
        .rootCause()
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("servers.policy.linkerd.io")
        .hasMessageContaining("v1beta3")
        .hasMessageContaining("crds.install=true");
    // The chart's sync timeout is 60s: the failure does not wait for it.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
    // The chart grants nothing on CRDs: the check explained the 404 without reading the CRD.
    assertThat(mock.forbidden())
        .containsExactly(
            "User \""
                + ChartInstall.SERVICE_ACCOUNT
                + "\" cannot get resource \"customresourcedefinitions\" in API group"
                + " \"apiextensions.k8s.io\" at the cluster scope");
  }

  private static void createShop(KubernetesClient admin) {
    String yaml =
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: db-0
          namespace: shop
          labels: {app: db, linkerd.io/control-plane-ns: portolan}
        spec:
          containers:
            - name: main
              ports: [{name: tcp, containerPort: 7000}]
            - name: portolan-proxy
        status:
          phase: Running
          podIP: 10.42.9.10
          conditions: [{type: Ready, status: "True"}]
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: db
          namespace: shop
          annotations: {config.linkerd.io/opaque-ports: "7000"}
        spec:
          clusterIP: 10.96.9.10
          selector: {app: db}
          ports: [{name: tcp, port: 7000, targetPort: 7000}]
        """;
    admin
        .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)))
        .items()
        .forEach(o -> admin.resource(o).create());
    GenericKubernetesResource server =
        admin
            .getKubernetesSerialization()
            .unmarshal(
                """
                apiVersion: policy.linkerd.io/v1beta3
                kind: Server
                metadata: {name: db-opaque, namespace: shop}
                spec:
                  podSelector: {matchLabels: {app: db}}
                  port: 7000
                  proxyProtocol: opaque
                """,
                GenericKubernetesResource.class);
    admin
        .genericKubernetesResources(KubernetesSource.SERVERS)
        .inNamespace("shop")
        .resource(server)
        .create();
  }

  private static Recorder<DestinationProfile> profile(
      DestinationGrpc.DestinationStub destination, String path) {
    Recorder<DestinationProfile> r = new Recorder<>();
    destination.getProfile(GetDestination.newBuilder().setScheme("k8s").setPath(path).build(), r);
    return r;
  }

  private static int get(String url) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
              HttpRequest.newBuilder(URI.create(url)).GET().build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    }
  }
}
