package dev.portolan.policy.inject;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.ManifestDir;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole policy-server with the injector on: the webhook answers on its own HTTPS port beside
 * the actuator, and reads the Namespace annotation from the index (fed here by a manifests
 * directory).
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "portolan.grpc.port=0",
      "portolan.injector.enabled=true",
      "portolan.injector.port=0",
      "portolan.control-plane-namespace=mesh-system",
      "portolan.injector.proxy.image=registry.example/portolan/proxy:9.9.9",
      "portolan.injector.proxy-init.ignore-outbound-ports=25",
      "portolan.injector.proxy.resources.requests.cpu=20m"
    })
class InjectorApplicationTest {
  static final ManifestDir DIR = new ManifestDir("portolan-injector");
  static final JsonMapper JSON = JsonMapper.builder().build();

  static {
    DIR.write(
        "ns.yaml",
        """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
          annotations:
            linkerd.io/inject: enabled
        """);
  }

  @DynamicPropertySource
  static void props(DynamicPropertyRegistry r) {
    r.add("portolan.manifests.dir", () -> DIR.path().toString());
  }

  @Autowired WebhookServer webhook;
  @Autowired MeterRegistry registry;

  @Test
  void a_pod_in_an_annotated_namespace_is_injected_with_the_configured_settings() throws Exception {
    assertThat(webhook.isRunning()).isTrue();
    HttpResponse<String> res =
        Https.post(
            Https.trusting(webhook.certificate()),
            webhook.port(),
            "/inject",
            Https.review("uid-app", "shop", "").getBytes(StandardCharsets.UTF_8));
    assertThat(res.statusCode()).isEqualTo(200);
    JsonNode response = JSON.readTree(res.body()).path("response");
    assertThat(response.path("uid").asString()).isEqualTo("uid-app");
    assertThat(response.path("allowed").asBoolean()).isTrue();
    assertThat(response.has("warnings")).isFalse();
    String patch =
        new String(
            Base64.getDecoder().decode(response.path("patch").asString()), StandardCharsets.UTF_8);
    assertThat(patch)
        .contains(
            "\"path\":\"/metadata/labels/linkerd.io~1control-plane-ns\",\"value\":\"mesh-system\"")
        .contains("registry.example/portolan/proxy:9.9.9")
        .contains("portolan-policy.mesh-system.svc.cluster.local:")
        .contains("\"--skip-outbound-ports\",\"25\"")
        .contains("\"cpu\":\"20m\"");
    assertThat(
            registry.get("portolan.injector.requests").tag("result", "injected").counter().count())
        .isGreaterThanOrEqualTo(1.0);
  }

  @Test
  void a_pod_that_opts_out_is_admitted_untouched() throws Exception {
    HttpResponse<String> res =
        Https.post(
            Https.trusting(webhook.certificate()),
            webhook.port(),
            "/inject",
            Https.review("uid-out", "shop", "\"linkerd.io/inject\":\"disabled\"")
                .getBytes(StandardCharsets.UTF_8));
    JsonNode response = JSON.readTree(res.body()).path("response");
    assertThat(response.path("allowed").asBoolean()).isTrue();
    assertThat(response.has("patch")).isFalse();
  }
}
