package dev.portolan.inject;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The webhook protocol around the injector: what is answered, and how, when things are odd. */
class AdmissionHandlerTest {
  final Injector injector =
      new Injector(InjectorConfig.defaults("portolan", "portolan/proxy:0.1.0"));
  final AdmissionHandler handler =
      new AdmissionHandler(
          injector, NamespaceLookup.of(Map.of("shop", Map.of("linkerd.io/inject", "enabled"))));

  static ObjectNode request(String name) {
    return (ObjectNode) Golden.json(name + ".request.json");
  }

  static JsonNode response(AdmissionHandler.Answer a) {
    assertThat(a.status()).isEqualTo(200);
    return Json.MAPPER.readTree(a.body()).path("response");
  }

  static byte[] bytes(JsonNode n) {
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void a_body_that_is_not_json_is_a_400_naming_why() {
    var a = handler.handle("{not json".getBytes(StandardCharsets.UTF_8));
    assertThat(a.status()).isEqualTo(400);
    assertThat(new String(a.body(), StandardCharsets.UTF_8)).startsWith("the body is not JSON");
    assertThat(a.result()).isEqualTo("invalid");
  }

  @Test
  void a_review_without_a_uid_cannot_be_answered() {
    ObjectNode r = request("bare-pod");
    ((ObjectNode) r.path("request")).remove("uid");
    var a = handler.handle(bytes(r));
    assertThat(a.status()).isEqualTo(400);
    assertThat(new String(a.body(), StandardCharsets.UTF_8)).contains("no request.uid");
  }

  @Test
  void only_v1_is_served() {
    ObjectNode r = request("bare-pod");
    r.put("apiVersion", "admission.k8s.io/v1beta1");
    assertThat(handler.handle(bytes(r)).status()).isEqualTo(400);
  }

  @Test
  void an_update_is_admitted_untouched() {
    ObjectNode r = request("deployment-pod");
    ((ObjectNode) r.path("request")).put("operation", "UPDATE");
    var a = handler.handle(bytes(r));
    assertThat(response(a).has("patch")).isFalse();
    assertThat(response(a).path("allowed").asBoolean()).isTrue();
    assertThat(a.result()).isEqualTo("ignored");
  }

  @Test
  void another_kind_is_admitted_untouched() {
    ObjectNode r = request("deployment-pod");
    ObjectNode kind = (ObjectNode) r.path("request").path("kind");
    kind.put("group", "apps");
    kind.put("kind", "Deployment");
    var a = handler.handle(bytes(r));
    assertThat(response(a).has("patch")).isFalse();
    assertThat(a.result()).isEqualTo("ignored");
  }

  @Test
  void when_the_injector_fails_the_pod_is_admitted_with_a_warning() {
    NamespaceLookup broken =
        ns -> {
          throw new IllegalStateException("index closed");
        };
    var failing = new AdmissionHandler(injector, broken);
    for (int i = 0; i < 2; i++) {
      var a = failing.handle(Golden.bytes("deployment-pod.request.json"));
      JsonNode r = response(a);
      assertThat(r.path("allowed").asBoolean()).isTrue();
      assertThat(r.path("uid").asString()).isEqualTo("4b7c0e9a-6f1e-4c1e-9d5e-2f1a9b3c7d01");
      assertThat(r.has("patch")).isFalse();
      assertThat(r.path("warnings").get(0).asString())
          .isEqualTo(
              "portolan injector: the injector failed (IllegalStateException): the pod is admitted"
                  + " without a proxy");
      assertThat(a.result()).isEqualTo("error");
    }
  }

  @Test
  void an_object_that_is_not_a_pod_shape_is_admitted_with_a_warning() {
    ObjectNode r = request("bare-pod");
    ((ObjectNode) r.path("request").path("object").path("spec")).put("containers", "web");
    var a = handler.handle(bytes(r));
    JsonNode response = response(a);
    assertThat(response.path("allowed").asBoolean()).isTrue();
    assertThat(response.path("uid").asString()).isEqualTo("9e2d6b41-0c7a-4d8e-b3f5-7a1c2e4d6f80");
    assertThat(response.has("patch")).isFalse();
    assertThat(response.path("warnings").get(0).asString()).contains("the injector failed");
    assertThat(a.result()).isEqualTo("error");
  }
}
