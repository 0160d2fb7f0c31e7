package dev.portolan.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** values.schema.json stops a wrong value before anything reaches the cluster, naming it. */
@EnableKubernetesMockClient(https = false, crud = true)
class ValuesSchemaTest {
  static KubernetesMockServer server;
  static KubernetesClient client;
  @TempDir static Path dir;

  @BeforeAll
  static void pointHelm() {
    HelmLookups.pointAt(server, client);
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource({
    "policyServer.replicas, two",
    "policyServer.replicas, 0",
    "grpc.tls, on",
    "networkPolicy.rewrite, sometimes",
    "injector.failurePolicy, Maybe",
    "proxy.opaquePorts, '25;80'",
    "proxyInit.ignoreOutboundPorts, '4567,mysql'",
    "proxyInit.ignoreInboundPorts, '4567;4568'",
    "proxyInit.iptablesMode, nftables",
    "proxy.logLevel, loud",
    "policyServer.image.pullPolicy, Sometimes",
    "policyServer.syncTimeout, a minute",
    "proxy.ports.inbound, 70000",
  })
  void rejects_a_wrong_value_and_names_it(String key, String value) {
    assertThatThrownBy(() -> Chart.render().set(key, value).yaml())
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining(key.substring(key.lastIndexOf('.') + 1));
  }

  @Test
  void rejects_a_misspelt_key() {
    assertThatThrownBy(() -> Chart.render().set("policyServer.replica", 2).yaml())
        .hasMessageContaining("replica");
  }

  @Test
  void unquoted_off_in_a_values_file_is_a_boolean_and_is_refused() throws Exception {
    Path values = Chart.valuesFile(dir, "grpc:\n  tls: off\n");
    assertThatThrownBy(() -> Chart.render().values(values).yaml()).hasMessageContaining("tls");
  }

  @Test
  void grpc_tls_waits_for_the_identity_service() {
    assertThatThrownBy(() -> Chart.render().set("grpc.tls", "required").yaml())
        .hasMessageContaining("grpc.tls=required needs identity.enabled=true");
  }

  @Test
  void the_documented_values_pass() {
    assertThat(
            Chart.render()
                .set("proxy.opaquePorts", "25,3306,10000 - 10100,galera")
                .set("proxyInit.ignoreOutboundPorts", "4567, 4568")
                .set("proxyInit.skipSubnets", "10.0.0.0/8,fd00::/8")
                .set("networkPolicy.rewrite", "always")
                .set("policyServer.podDisruptionBudget.maxUnavailable", "50%")
                .yaml())
        .contains("default-opaque-ports: \"25,3306,10000 - 10100,galera\"");
  }
}
