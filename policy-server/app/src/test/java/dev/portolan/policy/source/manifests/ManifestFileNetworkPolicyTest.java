package dev.portolan.policy.source.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.NetworkPolicyInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A manifest NetworkPolicy the API server would refuse fails its file with the reason. */
class ManifestFileNetworkPolicyTest {
  @TempDir Path dir;

  @Test
  void an_invalid_network_policy_fails_the_file_with_its_line_and_reason() throws IOException {
    Path f = dir.resolve("np.yaml");
    Files.writeString(
        f,
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: prod}
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {namespace: prod, name: bad}
        spec:
          podSelector: {}
          ingress:
          - from:
            - ipBlock: {cidr: 10.0.0.0}
        """);
    ManifestFile.Result r = ManifestFile.parse(f, Files.readString(f), ManifestsLimits.DEFAULTS);
    assertThat(r.error()).isNotNull();
    assertThat(r.error().line()).isEqualTo(5);
    assertThat(r.error().reason())
        .startsWith("NetworkPolicy prod/bad: spec.ingress[0].from[0].ipBlock.cidr: ")
        .contains("no /prefix");
  }

  @Test
  void a_valid_network_policy_is_read() throws IOException {
    Path f = dir.resolve("np.yaml");
    Files.writeString(
        f,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {namespace: prod, name: redis}
        spec:
          podSelector: {matchLabels: {app: redis}}
          ingress:
          - ports: [{port: 6379}]
        """);
    ManifestFile.Result r = ManifestFile.parse(f, Files.readString(f), ManifestsLimits.DEFAULTS);
    assertThat(r.error()).isNull();
    assertThat(r.objects().values())
        .singleElement()
        .isInstanceOfSatisfying(NetworkPolicyInfo.class, np -> assertThat(np.ingress()).hasSize(1));
  }
}
