package dev.portolan.inject;

import static dev.portolan.inject.Pods.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.zjsonpatch.JsonPatch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class InjectorTest {
  static final InjectorConfig CONFIG = InjectorConfig.defaults("portolan", "portolan/proxy:0.1.0");
  static final Injector INJECTOR = new Injector(CONFIG);
  static final NamespaceLookup MESHED =
      NamespaceLookup.of(Map.of("shop", Map.of("linkerd.io/inject", "enabled"), "plain", Map.of()));

  /** Applies the patch to the Pod as JSON, as the API server would, and reads the result back. */
  static Pod apply(Pod pod, Injection injection) {
    assertThat(injection).isInstanceOf(Injection.Injected.class);
    JsonNode patched =
        JsonPatch.apply(((Injection.Injected) injection).patch(), Json.MAPPER.valueToTree(pod));
    return Json.MAPPER.treeToValue(patched, Pod.class);
  }

  static List<String> initArgs(Pod pod) {
    return pod.getSpec().getInitContainers().stream()
        .filter(c -> c.getName().equals("portolan-init"))
        .findFirst()
        .orElseThrow()
        .getArgs();
  }

  static String arg(Pod pod, String flag) {
    List<String> args = initArgs(pod);
    return args.get(args.indexOf(flag) + 1);
  }

  @Test
  void a_pod_with_no_labels_annotations_volumes_or_init_containers_gets_each_created() {
    Pod pod = pod("web").build();
    Pod out = apply(pod, INJECTOR.inject(pod, "shop", MESHED));
    assertThat(out.getMetadata().getLabels())
        .containsEntry("linkerd.io/control-plane-ns", "portolan");
    assertThat(out.getMetadata().getAnnotations()).containsKeys("linkerd.io/proxy-version");
    assertThat(out.getSpec().getVolumes()).hasSize(2);
    assertThat(out.getSpec().getInitContainers())
        .extracting(Container::getName)
        .containsExactly("portolan-init");
    assertThat(out.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("portolan-proxy", "app");
  }

  @Test
  void a_pod_in_a_namespace_without_the_annotation_is_left_alone() {
    Injection i = INJECTOR.inject(pod("web").build(), "plain", MESHED);
    assertThat(i).isInstanceOf(Injection.Skipped.class);
    assertThat(i.warnings()).isEmpty();
  }

  @Test
  void the_pod_annotation_enables_injection_in_any_namespace() {
    Pod pod = pod("web").annotate("linkerd.io/inject", "enabled").build();
    assertThat(INJECTOR.inject(pod, "plain", MESHED)).isInstanceOf(Injection.Injected.class);
  }

  @Test
  void an_unknown_namespace_is_a_warning_and_the_pod_annotation_still_decides() {
    Pod pod = pod("web").annotate("linkerd.io/inject", "enabled").build();
    Injection i = INJECTOR.inject(pod, "new-ns", MESHED);
    assertThat(i).isInstanceOf(Injection.Injected.class);
    assertThat(i.warnings())
        .containsExactly(
            "namespace new-ns is not known to the injector yet: its annotations were not read");
  }

  @Test
  void an_unreadable_pod_value_is_ignored_with_a_warning_and_the_namespace_decides() {
    Pod pod = pod("web").annotate("linkerd.io/inject", "true").build();
    Injection i = INJECTOR.inject(pod, "shop", MESHED);
    assertThat(i).isInstanceOf(Injection.Injected.class);
    assertThat(i.warnings())
        .containsExactly(
            "annotation linkerd.io/inject: 'true' is not one of enabled, disabled, ingress"
                + " (ignored)");
  }

  @Test
  void ingress_mode_is_injected_as_enabled_with_a_warning() {
    Pod pod = pod("web").annotate("linkerd.io/inject", "ingress").build();
    Injection i = INJECTOR.inject(pod, "plain", MESHED);
    assertThat(i).isInstanceOf(Injection.Injected.class);
    assertThat(i.warnings()).singleElement().asString().contains("ingress mode is not supported");
  }

  @Test
  void host_network_pods_are_never_injected() {
    Pod pod = pod("agent").hostNetwork().build();
    Injection i = INJECTOR.inject(pod, "shop", MESHED);
    assertThat(i).isInstanceOf(Injection.Skipped.class);
    assertThat(i.warnings()).singleElement().asString().contains("hostNetwork");
  }

  @Test
  void a_pod_with_a_portolan_proxy_is_left_alone_and_injecting_twice_changes_nothing() {
    Pod pod = pod("web").build();
    Pod once = apply(pod, INJECTOR.inject(pod, "shop", MESHED));
    Injection again = INJECTOR.inject(once, "shop", MESHED);
    assertThat(again).isInstanceOf(Injection.Skipped.class);
    assertThat(((Injection.Skipped) again).reason()).contains("portolan-proxy");
  }

  @Test
  void a_namespace_skip_list_applies_and_its_port_names_resolve_against_the_pod() {
    var ns =
        NamespaceLookup.of(
            Map.of(
                "shop",
                Map.of(
                    "linkerd.io/inject", "enabled",
                    "config.linkerd.io/skip-inbound-ports", "admin,9000")));
    Pod pod = pod("web").port("admin", 8081).build();
    Pod out = apply(pod, INJECTOR.inject(pod, "shop", ns));
    assertThat(arg(out, "--skip-inbound-ports")).isEqualTo("4190-4191,8081,9000");
  }

  @Test
  void an_empty_pod_annotation_is_present_and_overrides_the_namespace() {
    var ns =
        NamespaceLookup.of(
            Map.of(
                "shop",
                Map.of(
                    "linkerd.io/inject", "enabled",
                    "config.linkerd.io/skip-outbound-ports", "3306")));
    Pod pod = pod("web").annotate("config.linkerd.io/skip-outbound-ports", "").build();
    Pod out = apply(pod, INJECTOR.inject(pod, "shop", ns));
    assertThat(initArgs(out)).doesNotContain("--skip-outbound-ports");
  }

  @Test
  void install_defaults_apply_when_neither_pod_nor_namespace_says() {
    var c =
        new InjectorConfig(
            "portolan",
            CONFIG.proxy(),
            new InjectorConfig.ProxyInit(
                "portolan/proxy-init:0.1.0",
                "Always",
                List.of("/opt/portolan/bin/proxy-init"),
                "22",
                "25,587",
                "10.96.0.0/12",
                "nft",
                InjectorConfig.Resources.NONE));
    Pod pod = pod("web").build();
    Pod out = apply(pod, new Injector(c).inject(pod, "shop", MESHED));
    assertThat(arg(out, "--skip-inbound-ports")).isEqualTo("22,4190-4191");
    assertThat(arg(out, "--skip-outbound-ports")).isEqualTo("25,587");
    assertThat(arg(out, "--skip-subnets")).isEqualTo("10.96.0.0/12");
    Container init = out.getSpec().getInitContainers().getFirst();
    assertThat(init.getImage()).isEqualTo("portolan/proxy-init:0.1.0");
    assertThat(init.getEnv().getFirst().getValue()).isEqualTo("nft");
    assertThat(init.getResources().getRequests()).isEmpty();
  }

  @Test
  void a_namespace_quantity_stands_in_for_a_bad_pod_one() {
    var ns =
        NamespaceLookup.of(
            Map.of(
                "shop",
                Map.of(
                    "linkerd.io/inject", "enabled",
                    "config.linkerd.io/proxy-cpu-limit", "2")));
    Pod pod = pod("web").annotate("config.linkerd.io/proxy-cpu-limit", "two").build();
    Injection i = INJECTOR.inject(pod, "shop", ns);
    Pod out = apply(pod, i);
    assertThat(out.getSpec().getContainers().getFirst().getResources().getLimits().get("cpu"))
        .hasToString("2");
    assertThat(i.warnings())
        .containsExactly(
            "annotation config.linkerd.io/proxy-cpu-limit: 'two' is not a Kubernetes quantity"
                + " (e.g. 100m, 0.5, 128Mi, 1Gi) (ignored)");
  }

  @Test
  void the_proxy_runs_as_its_uid_and_only_the_init_container_as_root() {
    Pod pod = pod("web").build();
    Pod out = apply(pod, INJECTOR.inject(pod, "shop", MESHED));
    var proxy = out.getSpec().getContainers().getFirst().getSecurityContext();
    assertThat(proxy.getRunAsUser()).isEqualTo(2102L);
    assertThat(proxy.getRunAsNonRoot()).isTrue();
    assertThat(proxy.getReadOnlyRootFilesystem()).isTrue();
    var init = out.getSpec().getInitContainers().getFirst().getSecurityContext();
    assertThat(init.getRunAsUser()).isZero();
    assertThat(init.getRunAsNonRoot()).isFalse();
    assertThat(init.getCapabilities().getAdd()).containsExactly("NET_ADMIN", "NET_RAW");
  }

  @Test
  void the_context_token_is_built_from_downward_api_variables_defined_before_it() {
    Pod pod = pod("web").build();
    Pod out = apply(pod, INJECTOR.inject(pod, "shop", MESHED));
    var env = out.getSpec().getContainers().getFirst().getEnv();
    List<String> names = env.stream().map(e -> e.getName()).toList();
    int token = names.indexOf("PORTOLAN_CONTEXT_TOKEN");
    assertThat(names.indexOf("PORTOLAN_NAMESPACE")).isLessThan(token);
    assertThat(names.indexOf("PORTOLAN_NODE_NAME")).isLessThan(token);
    assertThat(names.indexOf("PORTOLAN_POD")).isLessThan(token);
    assertThat(env.get(token).getValue())
        .isEqualTo(
            "{\"ns\":\"$(PORTOLAN_NAMESPACE)\",\"nodeName\":\"$(PORTOLAN_NODE_NAME)\","
                + "\"pod\":\"$(PORTOLAN_POD)\"}");
  }

  @Test
  void an_existing_default_container_annotation_is_kept() {
    Pod pod =
        pod("web")
            .container("sidecar")
            .annotate("kubectl.kubernetes.io/default-container", "sidecar")
            .build();
    Pod out = apply(pod, INJECTOR.inject(pod, "shop", MESHED));
    assertThat(out.getMetadata().getAnnotations())
        .containsEntry("kubectl.kubernetes.io/default-container", "sidecar");
  }

  @Test
  void json_pointer_keys_escape_tilde_and_slash() {
    assertThat(Injector.escape("a/b~c")).isEqualTo("a~1b~0c");
  }

  @Test
  void bad_install_settings_are_refused_naming_each() {
    var bad =
        new InjectorConfig(
            "portolan",
            CONFIG.proxy(),
            new InjectorConfig.ProxyInit(
                "",
                "IfNotPresent",
                List.of("/opt/portolan/bin/proxy-init"),
                "80,http",
                "",
                "10.0.0.0/40",
                "iptables",
                InjectorConfig.Resources.NONE));
    assertThatThrownBy(() -> new Injector(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("proxy-init.ignore-inbound-ports: token 2 'http': unknown port name")
        .hasMessageContaining("proxy-init.skip-subnets: token 1 '10.0.0.0/40': prefix must be 0-32")
        .hasMessageContaining("proxy-init.iptables-mode: 'iptables' is not one of legacy, nft");
  }

  @Test
  void the_proxy_version_is_the_image_tag_or_digest_unless_configured() {
    assertThat(InjectorConfig.defaults("p", "reg:5000/portolan/proxy:1.2.3").proxyVersion())
        .isEqualTo("1.2.3");
    assertThat(InjectorConfig.defaults("p", "reg:5000/portolan/proxy").proxyVersion())
        .isEqualTo("latest");
    assertThat(InjectorConfig.defaults("p", "portolan/proxy@sha256:abc").proxyVersion())
        .isEqualTo("sha256:abc");
  }

  static Map<String, io.fabric8.kubernetes.api.model.EnvVar> proxyEnv(Pod pod) {
    Container proxy =
        pod.getSpec().getContainers().stream()
            .filter(c -> c.getName().equals("portolan-proxy"))
            .findFirst()
            .orElseThrow();
    Map<String, io.fabric8.kubernetes.api.model.EnvVar> out = new java.util.LinkedHashMap<>();
    proxy.getEnv().forEach(e -> out.put(e.getName(), e));
    return out;
  }

  @Test
  void identity_off_disables_it_in_the_proxy_and_names_no_policy_server_identity() {
    Pod pod = pod("web").build();
    var env = proxyEnv(apply(pod, INJECTOR.inject(pod, "shop", MESHED)));
    assertThat(env.get("PORTOLAN_IDENTITY").getValue()).isEqualTo("disabled");
    assertThat(env).doesNotContainKeys("PORTOLAN_POLICY_SERVER_IDENTITY", "PORTOLAN_TRUST_DOMAIN");
    assertThat(env.get("PORTOLAN_NODE_NAME").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("spec.nodeName");
    assertThat(env.get("PORTOLAN_CONTEXT_TOKEN").getValue())
        .isEqualTo(
            "{\"ns\":\"$(PORTOLAN_NAMESPACE)\",\"nodeName\":\"$(PORTOLAN_NODE_NAME)\","
                + "\"pod\":\"$(PORTOLAN_POD)\"}");
  }

  @Test
  void identity_on_names_the_policy_server_and_mounts_token_and_trust_roots() {
    var c =
        new InjectorConfig(
            "mesh",
            CONFIG.proxy(),
            CONFIG.proxyInit(),
            new InjectorConfig.Identity(true, "example.org", "portolan-policy", "portolan-roots"));
    Pod pod = pod("web").build();
    Pod out = apply(pod, new Injector(c).inject(pod, "shop", MESHED));
    var env = proxyEnv(out);
    String server = "portolan-policy.mesh.serviceaccount.identity.mesh.example.org";
    assertThat(env.get("PORTOLAN_IDENTITY").getValue()).isEqualTo("tls");
    assertThat(env.get("PORTOLAN_POLICY_SERVER_IDENTITY").getValue()).isEqualTo(server);
    assertThat(env.get("PORTOLAN_IDENTITY_SERVER_NAME").getValue()).isEqualTo(server);
    assertThat(env.get("PORTOLAN_CONTROL_NAMESPACE").getValue()).isEqualTo("mesh");
    assertThat(env.get("PORTOLAN_TRUST_DOMAIN").getValue()).isEqualTo("example.org");
    assertThat(env.get("PORTOLAN_SERVICE_ACCOUNT").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("spec.serviceAccountName");
    assertThat(env.get("PORTOLAN_IDENTITY_TOKEN_FILE").getValue())
        .isEqualTo("/var/run/secrets/tokens/portolan-identity-token");
    assertThat(env.get("PORTOLAN_IDENTITY_TRUST_ANCHORS").getValue())
        .isEqualTo("/var/run/portolan/identity/ca-bundle.crt");
    assertThat(out.getSpec().getVolumes())
        .anySatisfy(v -> {
          assertThat(v.getName()).isEqualTo("portolan-identity-trust-roots");
          assertThat(v.getConfigMap().getName()).isEqualTo("portolan-roots");
        });
  }

  @Test
  void the_proxy_skips_inbound_what_proxy_init_skips() {
    Pod pod = pod("web").annotate("config.linkerd.io/skip-inbound-ports", "22,8000-8002").build();
    Pod out = apply(pod, INJECTOR.inject(pod, "shop", MESHED));
    assertThat(proxyEnv(out).get("PORTOLAN_SKIP_INBOUND_PORTS").getValue())
        .isEqualTo(arg(out, "--skip-inbound-ports"))
        .isEqualTo("22,4190-4191,8000-8002");
  }

  @Test
  void identity_on_without_a_trust_domain_is_refused_naming_the_setting() {
    var c =
        new InjectorConfig(
            "mesh",
            CONFIG.proxy(),
            CONFIG.proxyInit(),
            new InjectorConfig.Identity(true, " ", "portolan-policy", ""));
    assertThat(c.problems()).containsExactly("identity.trust-domain: must not be blank");
  }
}
