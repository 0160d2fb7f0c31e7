package dev.portolan.policy;

import static dev.portolan.policy.Yaml.docs;
import static dev.portolan.policy.Yaml.namespace;
import static dev.portolan.policy.Yaml.pod;
import static dev.portolan.policy.Yaml.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.Server;
import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.policy.source.manifests.ManifestsSource;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Bad input gets a clear error and loses nothing; the server keeps serving. */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0", "portolan.manifests.reload-quiet-period=20ms"})
class BadInputTest {
  static final ManifestDir DIR = new ManifestDir("portolan-bad");
  static final String EXTERNAL =
      """
      apiVersion: v1
      kind: Service
      metadata: {name: elsewhere, namespace: bad}
      spec: {type: ExternalName, externalName: example.org}
      """;

  static {
    DIR.write("00.yaml", docs(namespace("bad", null), EXTERNAL));
    DIR.write(
        "10-app.yaml",
        docs(
            pod("bad", "app-0", "app", "10.42.7.1", "http", 8080),
            service("bad", "app", "app", "10.96.7.1", 80, "http")));
  }

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Autowired GrpcServer grpc;
  @Autowired ManifestsSource manifests;
  ManagedChannel channel;
  DestinationGrpc.DestinationStub destination;

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpc.port()).usePlaintext().build();
    destination = DestinationGrpc.newStub(channel);
  }

  @AfterEach
  void close() {
    channel.shutdownNow();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "10.42.7.1:8080",
        "app.bad.svc.cluster.local:http",
        "app.bad.svc.cluster.local:70000",
        "app.bad:80",
        "elsewhere.bad.svc.cluster.local:80",
        ""
      })
  void bad_get_requests_get_invalid_argument_with_a_message(String path) {
    Recorder<Update> r = new Recorder<>();
    destination.get(GetDestination.newBuilder().setPath(path).build(), r);
    await().until(() -> r.error() != null);
    assertThat(r.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(r.status().getDescription()).isNotBlank();
    assertThat(r.values()).isEmpty();
    assertStillServing();
  }

  @Test
  void external_name_profile_is_invalid_argument() {
    Recorder<DestinationProfile> r = new Recorder<>();
    destination.getProfile(
        GetDestination.newBuilder().setPath("elsewhere.bad.svc.cluster.local:80").build(), r);
    await().until(() -> r.error() != null);
    assertThat(r.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(r.status().getDescription()).contains("ExternalName");
  }

  @Test
  void bad_workload_string_is_invalid_argument() {
    Recorder<Server> r = new Recorder<>();
    InboundServerPoliciesGrpc.newStub(channel)
        .watchPort(
            PortSpec.newBuilder()
                .setWorkload("{\"ns\":\"a\",\"nonsense\":\"b\"}")
                .setPort(80)
                .build(),
            r);
    await().until(() -> r.error() != null);
    assertThat(r.status().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(r.status().getDescription()).contains("nonsense");
  }

  @Test
  void unknown_pod_watch_is_not_found() {
    Recorder<Server> r = new Recorder<>();
    InboundServerPoliciesGrpc.newStub(channel)
        .watchPort(PortSpec.newBuilder().setWorkload("bad:ghost").setPort(80).build(), r);
    await().until(() -> r.error() != null);
    assertThat(r.status().getCode()).isEqualTo(Status.Code.NOT_FOUND);
  }

  @Test
  void broken_yaml_file_is_reported_and_its_last_good_content_stays_served() {
    Recorder<Update> r = new Recorder<>();
    destination.get(GetDestination.newBuilder().setPath("app.bad.svc.cluster.local:80").build(), r);
    await().until(() -> r.last() != null && r.last().hasAdd());

    DIR.write("10-app.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n");

    await().until(() -> !manifests.errors().isEmpty());
    var error = manifests.errors().getFirst();
    assertThat(error.toString()).contains("10-app.yaml").contains(":4");
    // Nothing was removed: the stream got no update and new streams still see the endpoint.
    assertThat(r.values()).hasSize(1);
    assertStillServing();

    DIR.write(
        "10-app.yaml",
        docs(
            pod("bad", "app-0", "app", "10.42.7.1", "http", 8080),
            service("bad", "app", "app", "10.96.7.1", 80, "http")));
    await().until(() -> manifests.errors().isEmpty());
  }

  private void assertStillServing() {
    Recorder<Update> ok = new Recorder<>();
    destination.get(
        GetDestination.newBuilder().setPath("app.bad.svc.cluster.local:80").build(), ok);
    await().until(() -> ok.last() != null);
    assertThat(ok.last().hasAdd()).isTrue();
  }
}
