package dev.portolan.tools.cli.inject;

import dev.portolan.inject.Injection;
import dev.portolan.inject.Injector;
import dev.portolan.inject.Json;
import dev.portolan.inject.NamespaceLookup;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.zjsonpatch.JsonPatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/**
 * Runs the webhook's {@link Injector} over the Pods and Pod templates of a YAML stream. Documents
 * it does not change are returned as they were written; a changed one is written anew.
 */
final class ManifestInjector {
  static final YAMLMapper YAML =
      YAMLMapper.builder()
          .disable(YAMLWriteFeature.WRITE_DOC_START_MARKER)
          .enable(YAMLWriteFeature.MINIMIZE_QUOTES)
          // A long value (the context token's template) stays on one line, as people write it.
          .disable(YAMLWriteFeature.SPLIT_LINES)
          // "8080" stays a string: an unquoted 8080 would read back as a number.
          .enable(YAMLWriteFeature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
          .build();

  /** Where each workload kind keeps its Pod template (JSON Pointer); "" for a Pod itself. */
  static final Map<String, String> TEMPLATES =
      Map.of(
          "Pod", "",
          "Deployment", "/spec/template",
          "StatefulSet", "/spec/template",
          "DaemonSet", "/spec/template",
          "ReplicaSet", "/spec/template",
          "ReplicationController", "/spec/template",
          "Job", "/spec/template",
          "CronJob", "/spec/jobTemplate/spec/template");

  /** A document that cannot be read; nothing is written when one is met. */
  static final class MalformedException extends Exception {
    MalformedException(String message) {
      super(message);
    }
  }

  /**
   * The outcome.
   *
   * @param yaml the whole stream, injected
   * @param messages for stderr: one line per Pod or template (injected or why not), then warnings
   */
  record Result(String yaml, List<String> messages) {}

  private final Injector injector;
  private final boolean force;

  ManifestInjector(Injector injector, boolean force) {
    this.injector = injector;
    this.force = force;
  }

  /**
   * @param source how errors name the input ({@code stdin}, a file name)
   * @param namespaces annotations of Namespaces given apart from the input; those in the input are
   *     added
   */
  Result inject(String text, String source, Map<String, Map<String, String>> namespaces)
      throws MalformedException {
    Manifest manifest = Manifest.parse(text);
    List<@Nullable JsonNode> docs = read(manifest, source);
    Map<String, Map<String, String>> known = new HashMap<>(namespaces);
    for (JsonNode doc : docs) {
      if (doc != null) {
        collectNamespaces(doc, known);
      }
    }
    NamespaceLookup lookup = lookup(known);

    List<String> messages = new ArrayList<>();
    StringBuilder out = new StringBuilder();
    int index = 0;
    for (int i = 0; i < docs.size(); i++) {
      Manifest.Chunk chunk = manifest.chunks().get(i);
      JsonNode doc = docs.get(i);
      if (doc == null) {
        out.append(chunk.marker()).append(chunk.body());
        continue;
      }
      index++;
      String where = source + ", document " + index + ", line " + chunk.firstLine();
      if (visit((ObjectNode) doc, where, lookup, messages)) {
        if (!chunk.marker().isEmpty()) {
          // The marker's own line is kept when it holds only a comment ("--- # web").
          String rest = chunk.body().lines().findFirst().orElse("");
          out.append(chunk.marker())
              .append(rest.isBlank() || rest.strip().startsWith("#") ? rest : "")
              .append('\n');
        }
        out.append(YAML.writeValueAsString(doc));
      } else {
        out.append(chunk.marker()).append(chunk.body());
      }
    }
    return new Result(out.toString(), messages);
  }

  /** Every document parsed (null for a blank one), or the first that cannot be read. */
  static List<@Nullable JsonNode> read(Manifest manifest, String source) throws MalformedException {
    List<@Nullable JsonNode> docs = new ArrayList<>();
    int index = 0;
    for (Manifest.Chunk chunk : manifest.chunks()) {
      if (chunk.blank()) {
        docs.add(null);
        continue;
      }
      index++;
      JsonNode node;
      try {
        node = YAML.readTree(chunk.yaml());
      } catch (JacksonException e) {
        TokenStreamLocation at = e.getLocation();
        boolean located = at != null && at.getLineNr() >= 1;
        String position =
            located
                ? "line "
                    + (chunk.firstLine() + at.getLineNr() - 1)
                    + ", column "
                    + at.getColumnNr()
                : "line " + chunk.firstLine();
        // The parser's own message goes on to quote the line with document-relative numbers;
        // its first line says what is wrong, and the position above says where in the input.
        String what = String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("");
        throw new MalformedException(
            source
                + ", document "
                + index
                + " (from line "
                + chunk.firstLine()
                + "): not valid YAML at "
                + position
                + ": "
                + what);
      }
      if (node == null || node.isMissingNode() || node.isNull()) {
        docs.add(null);
        index--;
        continue;
      }
      if (!node.isObject()) {
        throw new MalformedException(
            source
                + ", document "
                + index
                + " (from line "
                + chunk.firstLine()
                + "): not a Kubernetes object: a "
                + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)
                + " where a mapping with apiVersion and kind was expected");
      }
      docs.add(node);
    }
    return docs;
  }

  /** Namespace objects, also inside Lists, by name. */
  static void collectNamespaces(JsonNode doc, Map<String, Map<String, String>> out) {
    String kind = doc.path("kind").asString("");
    if (kind.equals("Namespace")) {
      String name = doc.path("metadata").path("name").asString("");
      if (!name.isEmpty()) {
        out.put(name, strings(doc.path("metadata").path("annotations")));
      }
    } else if (kind.endsWith("List") && doc.path("items").isArray()) {
      for (JsonNode item : doc.path("items")) {
        collectNamespaces(item, out);
      }
    }
  }

  /**
   * A Namespace neither given nor in the input counts as one without annotations: on the command
   * line that is the ordinary case, not the webhook's race, so it earns no warning. With {@code
   * --force} every Namespace says {@code enabled}, so only a Pod's own {@code disabled} keeps it
   * out.
   */
  private NamespaceLookup lookup(Map<String, Map<String, String>> known) {
    return name -> {
      Map<String, String> annotations = new LinkedHashMap<>(known.getOrDefault(name, Map.of()));
      if (force) {
        annotations.put(Injector.INJECT, "enabled");
      }
      return Optional.of(annotations);
    };
  }

  /** Injects the Pods in {@code node}; true when anything changed. */
  private boolean visit(
      ObjectNode node, String where, NamespaceLookup lookup, List<String> messages)
      throws MalformedException {
    String kind = node.path("kind").asString("");
    if (kind.endsWith("List") && node.path("items").isArray()) {
      boolean changed = false;
      int i = 0;
      for (JsonNode item : node.path("items")) {
        if (item instanceof ObjectNode o) {
          changed |= visit(o, where + ", items[" + i + "]", lookup, messages);
        }
        i++;
      }
      return changed;
    }
    String pointer = TEMPLATES.get(kind);
    if (pointer == null) {
      return false;
    }
    String namespace = node.path("metadata").path("namespace").asString("default");
    String object =
        kind
            + " "
            + namespace
            + "/"
            + node.path("metadata").path("name").asString("")
            + " ("
            + where
            + ")";
    JsonNode found = pointer.isEmpty() ? node : node.at(pointer);
    if (!(found instanceof ObjectNode template)) {
      throw new MalformedException(
          object + ": has no Pod template at " + pointer.substring(1).replace('/', '.'));
    }
    inheritInject(node, template);
    Pod pod;
    try {
      pod = Json.MAPPER.treeToValue(template, Pod.class);
    } catch (JacksonException e) {
      throw new MalformedException(
          object
              + ": not a valid Pod"
              + (pointer.isEmpty() ? "" : " template")
              + ": "
              + e.getOriginalMessage());
    }
    Injection result = injector.inject(pod, namespace, lookup);
    switch (result) {
      case Injection.Injected injected -> {
        if (!template.path("metadata").isObject()) {
          template.set("metadata", Json.MAPPER.createObjectNode());
        }
        JsonNode patched = JsonPatch.apply(injected.patch(), template);
        template.removeAll();
        template.setAll((ObjectNode) patched);
        messages.add(object + ": injected");
      }
      case Injection.Skipped skipped ->
          messages.add(object + ": not injected: " + skipped.reason());
    }
    for (String w : result.warnings()) {
      messages.add("warning: " + object + ": " + w);
    }
    return result instanceof Injection.Injected;
  }

  /**
   * The webhook reads {@code linkerd.io/inject} from the Pod; a workload annotated on its own
   * metadata is meant the same way, so its value is copied to the template when the template does
   * not say (it then stays there, where the webhook would read it too).
   */
  private static void inheritInject(ObjectNode workload, ObjectNode template) {
    if (workload == template) {
      return;
    }
    JsonNode value = workload.path("metadata").path("annotations").path(Injector.INJECT);
    if (!value.isString() || template.path("metadata").path("annotations").has(Injector.INJECT)) {
      return;
    }
    ObjectNode metadata =
        template.path("metadata") instanceof ObjectNode m ? m : template.putObject("metadata");
    ObjectNode annotations =
        metadata.path("annotations") instanceof ObjectNode a
            ? a
            : metadata.putObject("annotations");
    annotations.put(Injector.INJECT, value.asString());
  }

  private static Map<String, String> strings(JsonNode map) {
    Map<String, String> out = new LinkedHashMap<>();
    map.properties().forEach(e -> out.put(e.getKey(), e.getValue().asString("")));
    return out;
  }
}
