package dev.portolan.policy;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The stream scenarios fed by a manifests directory (the embedded default). */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {"portolan.grpc.port=0", "portolan.manifests.reload-quiet-period=20ms"})
class ManifestsStreamScenariosTest extends StreamScenarios {
  static final ManifestDir DIR = new ManifestDir("portolan-streams");

  static {
    seed(DIR);
  }

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Override
  ClusterDriver cluster() {
    return DIR;
  }
}
