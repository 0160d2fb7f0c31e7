package dev.portolan.inject;

import dev.portolan.policy.model.Annotations;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Decides whether a Pod gets a proxy and builds the JSON Patch that adds it (docs/injector.md).
 * Stateless and thread-safe. It never fails a Pod: whatever is wrong with an annotation becomes a
 * warning and the Pod is admitted, injected or not.
 */
public final class Injector {
  public static final String INJECT = "linkerd.io/inject";
  public static final String PROXY_VERSION = "linkerd.io/proxy-version";
  public static final String INJECTED = "portolan.dev/injected";
  static final String DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container";

  /** Containers that mean "already has a proxy": ours, or Linkerd's. */
  static final List<String> PROXY_CONTAINERS = List.of(ProxySpec.PROXY, "linkerd-proxy");

  private final InjectorConfig config;

  /**
   * @throws IllegalArgumentException naming every bad setting ({@link InjectorConfig#problems()})
   */
  public Injector(InjectorConfig config) {
    List<String> problems = config.problems();
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("injector settings: " + String.join("; ", problems));
    }
    this.config = config;
  }

  public InjectorConfig config() {
    return config;
  }

  /**
   * @param namespace the namespace the Pod is created in (the AdmissionRequest's: a Pod made by a
   *     controller often has none in its own metadata)
   */
  public Injection inject(Pod pod, String namespace, NamespaceLookup namespaces) {
    List<String> warnings = new ArrayList<>();
    Map<String, String> podAnnotations = PodSettings.annotations(pod);
    List<Container> containers =
        pod.getSpec() == null ? List.of() : PodSettings.list(pod.getSpec().getContainers());
    List<Container> inits =
        pod.getSpec() == null ? List.of() : PodSettings.list(pod.getSpec().getInitContainers());

    Optional<String> present =
        java.util.stream.Stream.concat(containers.stream(), inits.stream())
            .map(Container::getName)
            .filter(PROXY_CONTAINERS::contains)
            .findFirst();
    if (present.isPresent()) {
      return new Injection.Skipped(
          "already injected: it has a " + present.get() + " container", warnings);
    }
    if (containers.isEmpty()) {
      return new Injection.Skipped("no containers", warnings);
    }

    @Nullable Boolean podSays = injectValue(podAnnotations.get(INJECT), "annotation", warnings);
    if (Boolean.FALSE.equals(podSays)) {
      return new Injection.Skipped("annotation " + INJECT + ": disabled", warnings);
    }
    Optional<Map<String, String>> ns = namespaces.annotations(namespace);
    if (ns.isEmpty()) {
      warnings.add(
          "namespace "
              + namespace
              + " is not known to the injector yet: its annotations were not read");
    }
    Map<String, String> nsAnnotations = ns.orElse(Map.of());
    @Nullable Boolean nsSays =
        podSays != null
            ? null
            : injectValue(
                nsAnnotations.get(INJECT), "namespace " + namespace + " annotation", warnings);
    if (!Boolean.TRUE.equals(podSays) && !Boolean.TRUE.equals(nsSays)) {
      return new Injection.Skipped(
          "neither the pod nor namespace " + namespace + " has " + INJECT + ": enabled", warnings);
    }
    if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      // proxy-init would rewrite the node's own iptables rules.
      warnings.add(
          "hostNetwork pods are not injected: proxy-init would change the node's iptables");
      return new Injection.Skipped("hostNetwork", warnings);
    }

    PodSettings settings = PodSettings.of(pod, namespace, nsAnnotations, config);
    warnings.addAll(settings.warnings());
    return new Injection.Injected(
        patch(pod, podAnnotations, containers, inits, settings), warnings);
  }

  /** True for enabled (or ingress), false for disabled, null when absent or unreadable. */
  private static @Nullable Boolean injectValue(
      @Nullable String value, String where, List<String> warnings) {
    if (value == null) {
      return null;
    }
    return switch (value.strip()) {
      case "enabled" -> true;
      case "disabled" -> false;
      case "ingress" -> {
        warnings.add(
            where
                + " "
                + INJECT
                + ": ingress mode is not supported: the proxy is injected as for"
                + " enabled");
        yield true;
      }
      default -> {
        warnings.add(
            where
                + " "
                + INJECT
                + ": '"
                + value
                + "' is not one of enabled, disabled, ingress (ignored)");
        yield null;
      }
    };
  }

  private ArrayNode patch(
      Pod pod,
      Map<String, String> podAnnotations,
      List<Container> containers,
      List<Container> inits,
      PodSettings settings) {
    ArrayNode ops = Json.MAPPER.createArrayNode();
    var labels = pod.getMetadata() == null ? null : pod.getMetadata().getLabels();
    addToMap(
        ops,
        "/metadata/labels",
        labels == null || labels.isEmpty(),
        Annotations.CONTROL_PLANE_NS_LABEL,
        config.controlPlaneNamespace());

    boolean noAnnotations = podAnnotations.isEmpty();
    addToMap(ops, "/metadata/annotations", noAnnotations, PROXY_VERSION, config.proxyVersion());
    addToMap(ops, "/metadata/annotations", false, INJECTED, "true");
    if (!podAnnotations.containsKey(DEFAULT_CONTAINER) && containers.getFirst().getName() != null) {
      // The proxy goes first; kubectl logs and exec keep meaning the application.
      addToMap(
          ops, "/metadata/annotations", false, DEFAULT_CONTAINER, containers.getFirst().getName());
    }

    var volumes = PodSettings.list(pod.getSpec().getVolumes());
    addToList(ops, "/spec/volumes", volumes.isEmpty(), tree(ProxySpec.tokenVolume()));
    addToList(ops, "/spec/volumes", false, tree(ProxySpec.xtablesVolume()));
    if (ProxySpec.trustRoots(config)) {
      addToList(ops, "/spec/volumes", false, tree(ProxySpec.trustRootsVolume(config)));
    }
    // Last among the init containers: the application's own run before the rules exist, so
    // they can reach the network (there is no proxy yet to take their connections).
    addToList(ops, "/spec/initContainers", inits.isEmpty(), tree(ProxySpec.init(config, settings)));
    // First among the containers: the kubelet starts them in order, so the proxy starts before
    // the application opens its first connection.
    ops.add(op("/spec/containers/0", tree(ProxySpec.proxy(config, settings))));
    return ops;
  }

  /**
   * Adds {@code key: value} to the object at {@code path}, creating it when the Pod has none (an
   * "add" to a missing parent fails the whole patch).
   */
  private static void addToMap(
      ArrayNode ops, String path, boolean create, String key, String value) {
    if (create) {
      ObjectNode m = Json.MAPPER.createObjectNode();
      m.put(key, value);
      ops.add(op(path, m));
    } else {
      ops.add(op(path + "/" + escape(key), Json.MAPPER.getNodeFactory().stringNode(value)));
    }
  }

  private static void addToList(ArrayNode ops, String path, boolean create, JsonNode value) {
    if (create) {
      ops.add(op(path, Json.MAPPER.createArrayNode().add(value)));
    } else {
      ops.add(op(path + "/-", value));
    }
  }

  private static ObjectNode op(String path, JsonNode value) {
    ObjectNode op = Json.MAPPER.createObjectNode();
    op.put("op", "add");
    op.put("path", path);
    op.set("value", value);
    return op;
  }

  private static JsonNode tree(Object model) {
    return Json.MAPPER.valueToTree(model);
  }

  /** RFC 6901: {@code ~} and {@code /} in a key. */
  static String escape(String key) {
    return key.replace("~", "~0").replace("/", "~1");
  }
}
