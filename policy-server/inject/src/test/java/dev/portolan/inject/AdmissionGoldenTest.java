package dev.portolan.inject;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.model.PortListParser;
import dev.portolan.policy.model.PortSet;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.zjsonpatch.JsonPatch;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * AdmissionReview requests in the shapes the API server sends (src/test/resources/admission), their
 * JSON Patches against golden files, and the Pods those patches make: applied with zjsonpatch to
 * the object the API server sent, read back with fabric8.
 */
class AdmissionGoldenTest {
  static final InjectorConfig CONFIG = InjectorConfig.defaults("portolan", "portolan/proxy:0.1.0");

  /** {@code shop} is meshed and skips MySQL outbound for all its pods; {@code default} is not. */
  static final NamespaceLookup NAMESPACES =
      NamespaceLookup.of(
          Map.of(
              "shop",
              Map.of(
                  "linkerd.io/inject", "enabled",
                  "config.linkerd.io/skip-outbound-ports", "3306"),
              "default",
              Map.of()));

  final AdmissionHandler handler = new AdmissionHandler(new Injector(CONFIG), NAMESPACES);

  record Reviewed(JsonNode response, JsonNode request, List<String> warnings) {
    JsonNode patch() {
      String b64 = response.path("patch").asString();
      return Json.MAPPER.readTree(Base64.getDecoder().decode(b64));
    }

    Pod patchedPod() {
      JsonNode patched = JsonPatch.apply(patch(), request.path("request").path("object"));
      return Json.MAPPER.treeToValue(patched, Pod.class);
    }
  }

  Reviewed review(String name) {
    byte[] body = Golden.bytes(name + ".request.json");
    AdmissionHandler.Answer answer = handler.handle(body);
    assertThat(answer.status()).isEqualTo(200);
    JsonNode review = Json.MAPPER.readTree(answer.body());
    JsonNode request = Json.MAPPER.readTree(body);
    assertThat(review.path("apiVersion").asString()).isEqualTo("admission.k8s.io/v1");
    assertThat(review.path("kind").asString()).isEqualTo("AdmissionReview");
    JsonNode response = review.path("response");
    assertThat(response.path("uid").asString())
        .isEqualTo(request.path("request").path("uid").asString());
    assertThat(response.path("allowed").asBoolean()).isTrue();
    List<String> warnings =
        response.path("warnings").valueStream().map(JsonNode::asString).toList();
    return new Reviewed(response, request, warnings);
  }

  static Container container(List<Container> l, String name) {
    return l.stream().filter(c -> name.equals(c.getName())).findFirst().orElseThrow();
  }

  static String arg(Container c, String flag) {
    List<String> args = c.getArgs();
    int i = args.indexOf(flag);
    assertThat(i).as("%s in %s", flag, args).isGreaterThanOrEqualTo(0);
    return args.get(i + 1);
  }

  static Map<String, EnvVar> env(Container c) {
    return c.getEnv().stream()
        .collect(java.util.stream.Collectors.toMap(EnvVar::getName, e -> e, (a, b) -> a));
  }

  @Test
  void deployment_pod_without_a_name_gets_the_proxy_from_its_namespace_annotation() {
    Reviewed r = review("deployment-pod");
    assertThat(r.response().path("patchType").asString()).isEqualTo("JSONPatch");
    Golden.assertMatches("deployment-pod.patch.json", r.patch());
    assertThat(r.warnings()).isEmpty();

    Pod pod = r.patchedPod();
    assertThat(pod.getMetadata().getName()).isNull();
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("linkerd.io/control-plane-ns", "portolan")
        .containsEntry("app", "web");
    assertThat(pod.getMetadata().getAnnotations())
        .containsEntry("linkerd.io/proxy-version", "0.1.0")
        .containsEntry("portolan.dev/injected", "true")
        .containsEntry("kubectl.kubernetes.io/default-container", "web");
    assertThat(pod.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("portolan-proxy", "web");
    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("portolan-init");
    Container init = pod.getSpec().getInitContainers().getFirst();
    PortSet skipped = PortListParser.parse(arg(init, "--skip-inbound-ports")).ports();
    assertThat(skipped).isEqualTo(PortSet.of(4190, 4191));
    // The namespace's skip-outbound-ports applies to a pod without its own.
    assertThat(arg(init, "--skip-outbound-ports")).isEqualTo("3306");
    assertThat(init.getArgs()).doesNotContain("--skip-subnets");

    Container proxy = pod.getSpec().getContainers().getFirst();
    Map<String, EnvVar> env = env(proxy);
    assertThat(env.get("PORTOLAN_POD").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(env.get("PORTOLAN_INBOUND_PORTS").getValue()).isEqualTo("8080");
    assertThat(pod.getSpec().getVolumes())
        .extracting(v -> v.getName())
        .containsExactly(
            "kube-api-access-x7m2q", "portolan-identity-token", "portolan-proxy-init-xtables-lock");
  }

  @Test
  void bare_pod_annotated_enabled_is_injected_in_a_namespace_that_is_not() {
    Reviewed r = review("bare-pod");
    Golden.assertMatches("bare-pod.patch.json", r.patch());
    assertThat(r.warnings()).isEmpty();

    Pod pod = r.patchedPod();
    assertThat(pod.getMetadata().getLabels())
        .containsExactly(Map.entry("linkerd.io/control-plane-ns", "portolan"));
    assertThat(pod.getMetadata().getAnnotations()).containsEntry("linkerd.io/inject", "enabled");
    Container init = container(pod.getSpec().getInitContainers(), "portolan-init");
    assertThat(arg(init, "--skip-inbound-ports")).isEqualTo("4190-4191");
    assertThat(init.getArgs()).doesNotContain("--skip-outbound-ports");
    // No container port: the proxy learns inbound policies as connections come.
    assertThat(env(pod.getSpec().getContainers().getFirst()))
        .doesNotContainKey("PORTOLAN_INBOUND_PORTS");
  }

  @Test
  void pod_level_disabled_wins_over_an_injected_namespace() {
    Reviewed r = review("opt-out");
    assertThat(r.response().has("patch")).isFalse();
    assertThat(r.response().has("patchType")).isFalse();
    assertThat(r.warnings()).isEmpty();
  }

  @Test
  void a_pod_that_already_has_a_proxy_is_left_alone() {
    Reviewed r = review("already-injected");
    assertThat(r.response().has("patch")).isFalse();
    assertThat(r.warnings()).isEmpty();
  }

  @Test
  void skip_ports_reach_proxy_init_and_every_bad_token_is_a_warning() {
    Reviewed r = review("skip-ports");
    Golden.assertMatches("skip-ports.patch.json", r.patch());
    assertThat(r.warnings())
        .containsExactly(
            "portolan injector: annotation config.linkerd.io/skip-inbound-ports: token 3 'abc':"
                + " unknown port name (ignored)",
            "portolan injector: annotation config.linkerd.io/skip-inbound-ports: token 4 '0': 0 is"
                + " out of range 1-65535 (ignored)",
            "portolan injector: annotation config.linkerd.io/skip-outbound-ports: token 2 '99999':"
                + " 99999 is out of range 1-65535 (ignored)",
            "portolan injector: annotation config.linkerd.io/skip-subnets: token 2 '10.0.0.0/33':"
                + " prefix must be 0-32 (ignored)",
            "portolan injector: annotation config.linkerd.io/proxy-memory-limit: 'lots' is not a"
                + " Kubernetes quantity (e.g. 100m, 0.5, 128Mi, 1Gi) (ignored)",
            "portolan injector: proxy memory request 512Mi is greater than its limit 256Mi: the"
                + " request is set to the limit");

    Pod pod = r.patchedPod();
    Container init = container(pod.getSpec().getInitContainers(), "portolan-init");
    // The application's own init container runs first, before the rules exist.
    assertThat(pod.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("migrate", "portolan-init");
    // 4190 and 4191, the pod's 7000-7002 and its port named "metrics" (9187), in the form
    // proxy-init reads (PortSet's text: adjacent ports merge into a range).
    assertThat(arg(init, "--skip-inbound-ports")).isEqualTo("4190-4191,7000-7002,9187");
    PortSet skipped = PortListParser.parse(arg(init, "--skip-inbound-ports")).ports();
    assertThat(List.of(4190, 4191, 7000, 7001, 7002, 9187)).allMatch(skipped::contains);
    assertThat(skipped.contains(5432)).isFalse();
    // The pod's own list wins over the namespace's 3306.
    assertThat(arg(init, "--skip-outbound-ports")).isEqualTo("443");
    assertThat(arg(init, "--skip-subnets")).isEqualTo("169.254.169.254/32");

    Container proxy = container(pod.getSpec().getContainers(), "portolan-proxy");
    assertThat(proxy.getResources().getRequests())
        .containsEntry("cpu", new io.fabric8.kubernetes.api.model.Quantity("200m"))
        .containsEntry("memory", new io.fabric8.kubernetes.api.model.Quantity("256Mi"));
    assertThat(proxy.getResources().getLimits())
        .containsEntry("memory", new io.fabric8.kubernetes.api.model.Quantity("256Mi"));
    assertThat(env(proxy).get("PORTOLAN_INBOUND_PORTS").getValue()).isEqualTo("5432,9187");
  }

  @Test
  void the_patch_is_base64_of_a_json_array() {
    Reviewed r = review("bare-pod");
    String decoded =
        new String(
            Base64.getDecoder().decode(r.response().path("patch").asString()),
            StandardCharsets.UTF_8);
    assertThat(decoded).startsWith("[{\"op\":\"add\"");
  }
}
