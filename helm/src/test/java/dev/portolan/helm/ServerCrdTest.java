package dev.portolan.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Server CRD: Linkerd's resource, so Servers written for Linkerd apply as they are. */
@EnableKubernetesMockClient(https = false, crud = true)
class ServerCrdTest {
  static KubernetesMockServer server;
  static KubernetesClient client;
  static CustomResourceDefinition crd;

  @BeforeAll
  static void render() {
    HelmLookups.pointAt(server, client);
    crd =
        Chart.render().manifest().one(CustomResourceDefinition.class, "servers.policy.linkerd.io");
  }

  @Test
  void stores_v1beta3_and_serves_every_version_linkerd_serves_today() {
    assertThat(crd.getSpec().getGroup()).isEqualTo("policy.linkerd.io");
    assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
    assertThat(crd.getSpec().getNames().getPlural()).isEqualTo("servers");
    assertThat(crd.getSpec().getVersions())
        .extracting(CustomResourceDefinitionVersion::getName)
        .containsExactly("v1beta1", "v1beta2", "v1beta3");
    assertThat(crd.getSpec().getVersions()).allMatch(CustomResourceDefinitionVersion::getServed);
    assertThat(crd.getSpec().getVersions())
        .filteredOn(CustomResourceDefinitionVersion::getStorage)
        .extracting(CustomResourceDefinitionVersion::getName)
        .containsExactly("v1beta3");
    assertThat(crd.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");
  }

  @Test
  void every_version_knows_the_protocols_the_resolver_reads() {
    for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
      Map<String, JSONSchemaProps> spec = spec(v.getName()).getProperties();
      assertThat(spec.get("port").getXKubernetesIntOrString()).as(v.getName()).isTrue();
      assertThat(spec.get("proxyProtocol").getEnum())
          .as(v.getName())
          .extracting(n -> n.asString())
          .containsExactly("unknown", "HTTP/1", "HTTP/2", "gRPC", "opaque", "TLS");
      assertThat(spec).as(v.getName()).containsKey("podSelector");
    }
    assertThat(spec("v1beta3").getProperties()).containsKey("accessPolicy");
    assertThat(spec("v1beta2").getProperties()).doesNotContainKey("accessPolicy");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        // As written for Linkerd, one per served version.
        """
        apiVersion: policy.linkerd.io/v1beta1
        kind: Server
        metadata: {name: mysql, namespace: shop}
        spec:
          podSelector:
            matchLabels: {app: mysql}
          port: 3306
          proxyProtocol: opaque
        """,
        """
        apiVersion: policy.linkerd.io/v1beta2
        kind: Server
        metadata: {name: web, namespace: shop}
        spec:
          podSelector:
            matchExpressions:
              - {key: app, operator: In, values: [web, web-canary]}
          port: http
          proxyProtocol: HTTP/1
        """,
        """
        apiVersion: policy.linkerd.io/v1beta3
        kind: Server
        metadata: {name: grpc, namespace: shop}
        spec:
          podSelector: {}
          port: 9090
          proxyProtocol: gRPC
          accessPolicy: all-unauthenticated
        """,
      })
  void servers_written_for_linkerd_are_valid(String yaml) {
    Map<String, Object> server = Yaml.map(yaml);
    String version =
        String.valueOf(server.get("apiVersion")).substring("policy.linkerd.io/".length());

    assertThat(StructuralSchema.problems(schema(version), specOnly(server))).isEmpty();
  }

  @Test
  void the_example_servers_are_valid() throws Exception {
    Path examples = Chart.DIR.getParent().getParent().resolve("examples");
    int servers = 0;
    try (var files = Files.list(examples)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
        for (String doc : Files.readString(f).split("(?m)^---\\s*$")) {
          Map<String, Object> o = doc.isBlank() ? null : Yaml.map(doc);
          if (o != null && "Server".equals(o.get("kind"))) {
            String version = String.valueOf(o.get("apiVersion")).replace("policy.linkerd.io/", "");
            assertThat(StructuralSchema.problems(schema(version), specOnly(o)))
                .as(f.toString())
                .isEmpty();
            servers++;
          }
        }
      }
    }
    assertThat(servers).isPositive();
  }

  @Test
  void mistakes_are_refused_with_the_field_named() {
    assertThat(problems("v1beta3", "{podSelector: {}, port: 80, proxyProtocol: HTTP/3}"))
        .singleElement()
        .asString()
        .contains(".spec.proxyProtocol");
    assertThat(problems("v1beta3", "{podSelector: {}}")).containsExactly(".spec.port: required");
    assertThat(problems("v1beta1", "{port: 80}")).containsExactly(".spec.podSelector: required");
    assertThat(problems("v1beta2", "{podSelector: {}, port: 80, accessPolicy: deny}"))
        .containsExactly(".spec.accessPolicy: unknown field");
    assertThat(problems("v1beta3", "{podSelector: {}, port: 80, accessPolicy: allow-all}"))
        .singleElement()
        .asString()
        .contains(".spec.accessPolicy");
    assertThat(problems("v1beta3", "{podSelector: {matchLabels: {app: 1}}, port: [80]}"))
        .hasSize(2);
  }

  private static List<String> problems(String version, String spec) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("spec", Yaml.map(spec));
    return StructuralSchema.problems(schema(version), o);
  }

  private static Map<String, Object> specOnly(Map<String, Object> server) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("spec", server.get("spec"));
    return o;
  }

  private static JSONSchemaProps schema(String version) {
    return crd.getSpec().getVersions().stream()
        .filter(v -> v.getName().equals(version))
        .findFirst()
        .orElseThrow(() -> new AssertionError("version not served: " + version))
        .getSchema()
        .getOpenAPIV3Schema();
  }

  private static JSONSchemaProps spec(String version) {
    return schema(version).getProperties().get("spec");
  }
}
