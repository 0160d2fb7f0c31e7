package dev.portolan.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The chart under test: renders it as {@code helm template} would, and reads the result back as
 * typed fabric8 objects. A kind fabric8 does not know, or a field its model does not have, is a
 * test failure rather than a silently generic object.
 */
final class Chart {
  static final String RELEASE = "portolan";
  static final String NAMESPACE = "portolan";

  /**
   * helm-java renders client-side against Kubernetes v1.20 unless told otherwise; the chart needs
   * 1.27 or later (kubeVersion in Chart.yaml).
   */
  static final String KUBE_VERSION = "v1.33.0";

  static final Path DIR =
      Path.of(System.getProperty("portolan.chart", "portolan")).toAbsolutePath();
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Pattern DOCUMENT_SEPARATOR = Pattern.compile("(?m)^---\\s*$");

  private Chart() {}

  /** A render request: values files layered in order, then single values. */
  static final class Render {
    private final List<Path> valuesFiles = new ArrayList<>();
    private final Map<String, Object> sets = new LinkedHashMap<>();

    Render values(Path file) {
      valuesFiles.add(file);
      return this;
    }

    /** A values file shipped with the chart, such as values-ha.yaml. */
    Render chartValues(String name) {
      return values(DIR.resolve(name));
    }

    Render set(String key, Object value) {
      sets.put(key, value);
      return this;
    }

    /** The rendered YAML; helm's own error (schema, {@code fail}) as an exception. */
    String yaml() {
      TemplateCommand t =
          new Helm(DIR)
              .template()
              .withName(RELEASE)
              .withNamespace(NAMESPACE)
              .withKubeVersion(KUBE_VERSION);
      for (Path f : valuesFiles) {
        t = t.withValuesFile(f);
      }
      for (Map.Entry<String, Object> e : sets.entrySet()) {
        t = t.set(e.getKey(), e.getValue());
      }
      return t.call();
    }

    Manifest manifest() {
      return Manifest.parse(yaml());
    }
  }

  static Render render() {
    return new Render();
  }

  /** Writes a values file for one test. */
  static Path valuesFile(Path dir, String yaml) throws java.io.IOException {
    Path f = Files.createTempFile(dir, "values-", ".yaml");
    Files.writeString(f, yaml);
    return f;
  }

  /** Every object of one render, typed. */
  record Manifest(List<HasMetadata> objects) {
    static Manifest parse(String yaml) {
      List<HasMetadata> objects = new ArrayList<>();
      for (String doc : DOCUMENT_SEPARATOR.split(yaml)) {
        if (isBlank(doc)) {
          continue;
        }
        Object parsed = SERIALIZATION.unmarshal(doc);
        if (!(parsed instanceof HasMetadata obj) || parsed instanceof GenericKubernetesResource) {
          throw new AssertionError(
              "rendered object of a kind fabric8 does not model ("
                  + (parsed == null ? "null" : parsed.getClass().getSimpleName())
                  + "):\n"
                  + doc);
        }
        List<String> unknown = UnknownFields.of(obj);
        if (!unknown.isEmpty()) {
          throw new AssertionError(
              obj.getKind()
                  + " "
                  + obj.getMetadata().getName()
                  + " has fields the API does not: "
                  + unknown);
        }
        objects.add(obj);
      }
      return new Manifest(List.copyOf(objects));
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
      return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type, String name) {
      List<T> found =
          all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
      if (found.size() != 1) {
        throw new AssertionError(
            "expected one "
                + type.getSimpleName()
                + " named "
                + name
                + ", found "
                + found.size()
                + " among "
                + names());
      }
      return found.getFirst();
    }

    /** kind/name of every object, in order. */
    List<String> names() {
      return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
    }
  }

  private static boolean isBlank(String doc) {
    return doc.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"));
  }
}
