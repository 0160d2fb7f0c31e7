package dev.portolan.policy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/** The stream scenarios fed by the Kubernetes API (fabric8 mock server, CRUD mode). */
@EnableKubernetesMockClient(crud = true)
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0", "portolan.source=kubernetes"})
class KubernetesStreamScenariosTest extends StreamScenarios {
  static KubernetesClient client;
  static MockCluster cluster;

  @BeforeAll
  static void seedCluster() {
    if (cluster == null) {
      cluster = new MockCluster(client);
      seed(cluster);
    }
  }

  @Override
  ClusterDriver cluster() {
    return cluster;
  }

  @TestConfiguration
  static class MockClient {
    @Bean
    @Primary
    KubernetesClient mockKubernetesClient() {
      return client;
    }
  }
}
