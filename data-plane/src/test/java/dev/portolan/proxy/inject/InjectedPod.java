package dev.portolan.proxy.inject;

import dev.portolan.inject.Injection;
import dev.portolan.inject.Injector;
import dev.portolan.inject.InjectorConfig;
import dev.portolan.inject.Json;
import dev.portolan.inject.NamespaceLookup;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.zjsonpatch.JsonPatch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import tools.jackson.databind.JsonNode;

/**
 * A demo Pod after the real injector's JSON Patch, applied as the API server applies it, and what
 * the kubelet would hand the two containers it added: the init container's arguments, and the
 * proxy's environment with its downward-API references and {@code $(VAR)} expansions resolved.
 */
record InjectedPod(Pod pod, String nodeName) {
  private static final Pattern REF = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  /** Runs the injector on {@code yaml} (a Pod) created in {@code namespace}. */
  static InjectedPod inject(
      InjectorConfig config,
      String yaml,
      String namespace,
      Map<String, String> namespaceAnnotations,
      String nodeName) {
    Object tree = new Load(LoadSettings.builder().build()).loadFromString(yaml);
    Pod pod = Json.MAPPER.convertValue(tree, Pod.class);
    Injection injection =
        new Injector(config)
            .inject(pod, namespace, NamespaceLookup.of(Map.of(namespace, namespaceAnnotations)));
    if (!(injection instanceof Injection.Injected injected)) {
      throw new IllegalStateException("the injector left the demo Pod alone: " + injection);
    }
    JsonNode patched = JsonPatch.apply(injected.patch(), Json.MAPPER.valueToTree(pod));
    Pod out = Json.MAPPER.treeToValue(patched, Pod.class);
    // The API server fills in the namespace the Pod was created in.
    out.getMetadata().setNamespace(namespace);
    return new InjectedPod(out, nodeName);
  }

  Container proxy() {
    return container(pod.getSpec().getContainers(), "portolan-proxy");
  }

  Container init() {
    return container(pod.getSpec().getInitContainers(), "portolan-init");
  }

  List<String> initArgs() {
    return init().getArgs();
  }

  /** The proxy container's env names, in the order the injector wrote them. */
  List<String> proxyEnvNames() {
    return proxy().getEnv().stream().map(EnvVar::getName).toList();
  }

  /**
   * The proxy's environment as the kubelet resolves it: {@code fieldRef}s from this Pod (and the
   * node it was scheduled on), then {@code $(NAME)} references to variables defined earlier in the
   * list (a later or unknown one stays as written, as Kubernetes leaves it).
   */
  Map<String, String> proxyEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar e : proxy().getEnv()) {
      String value;
      if (e.getValueFrom() != null) {
        if (e.getValueFrom().getFieldRef() == null) {
          throw new IllegalStateException(e.getName() + ": only fieldRef is resolved here");
        }
        value = field(e.getValueFrom().getFieldRef().getFieldPath());
      } else {
        value = expand(e.getValue() == null ? "" : e.getValue(), env);
      }
      env.put(e.getName(), value);
    }
    return env;
  }

  private String field(String path) {
    return switch (path) {
      case "metadata.namespace" -> pod.getMetadata().getNamespace();
      case "metadata.name" -> pod.getMetadata().getName();
      case "spec.nodeName" -> nodeName;
      case "spec.serviceAccountName" -> {
        String sa = pod.getSpec().getServiceAccountName();
        yield sa == null ? "default" : sa;
      }
      default -> throw new IllegalStateException("fieldRef " + path + " is not resolved here");
    };
  }

  private static String expand(String value, Map<String, String> defined) {
    Matcher m = REF.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = defined.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(v != null ? v : m.group()));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static Container container(List<Container> list, String name) {
    return list.stream()
        .filter(c -> name.equals(c.getName()))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no container " + name));
  }
}
