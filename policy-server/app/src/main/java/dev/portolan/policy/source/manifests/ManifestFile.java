package dev.portolan.policy.source.manifests;

import dev.portolan.policy.model.Resource;
import dev.portolan.policy.source.KubeObjects;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.constructor.StandardConstructor;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.parser.ParserImpl;
import org.snakeyaml.engine.v2.scanner.StreamReader;
import tools.jackson.core.JacksonException;

/**
 * Parses one file's text (multi-document YAML) into records, or fails with the line and reason.
 *
 * <p>This drives SnakeYAML's stages itself instead of calling fabric8's {@code unmarshal}, which
 * uses SnakeYAML's defaults and so has no nesting limit, no limit on what aliases expand to, and a
 * 1,024-character read buffer that makes one long scalar cost quadratic time. Here the limits are
 * enforced between parser and composer ({@link LimitedParser}), the buffer holds the whole text (up
 * to 1 Mi characters), and only the conversion of each accepted document is left to fabric8's
 * object mapper.
 */
final class ManifestFile {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final int LARGEST_BUFFER = 1 << 20;

  /** Either the file's objects (by key, last one wins) and skipped kinds, or an error. */
  record Result(Map<Resource.Key, Resource> objects, int skipped, @Nullable ManifestError error) {}

  private ManifestFile() {}

  static Result parse(Path file, String text, ManifestsLimits limits) {
    int markers = documentMarkers(text);
    if (markers > limits.maxDocuments()) {
      return failed(
          file,
          0,
          "%,d documents, more than %,d (portolan.manifests.limits.max-documents)"
              .formatted(markers, limits.maxDocuments()));
    }
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel(file.getFileName().toString())
            .setCodePointLimit(limits.maxFileBytes())
            .setMaxAliasesForCollections(limits.maxAliases())
            .setAllowRecursiveKeys(false)
            .setBufferSize(Math.clamp(text.length() + 1L, 1024, LARGEST_BUFFER))
            .build();
    Composer composer =
        new Composer(
            settings,
            new LimitedParser(new ParserImpl(settings, new StreamReader(settings, text)), limits));
    StandardConstructor constructor = new StandardConstructor(settings);
    Map<Resource.Key, Resource> objects = new LinkedHashMap<>();
    int skipped = 0;
    int line = 0;
    try {
      while (composer.hasNext()) {
        Node node = composer.next();
        line = node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
        Object value = constructor.constructSingleDocument(Optional.of(node));
        if (value == null) {
          continue; // an empty document
        }
        if (!(value instanceof Map<?, ?>)) {
          return failed(file, line, "not a Kubernetes object (a YAML " + kind(value) + ")");
        }
        Object parsed = SERIALIZATION.convertValue(value, KubernetesResource.class);
        List<HasMetadata> items = new ArrayList<>();
        if (parsed instanceof KubernetesList list) {
          items.addAll(list.getItems());
        } else if (parsed instanceof HasMetadata h) {
          items.add(h);
        } else {
          return failed(file, line, "not a Kubernetes object");
        }
        for (HasMetadata h : items) {
          if (h.getMetadata() == null || h.getMetadata().getName() == null) {
            return failed(file, line, h.getKind() + " without metadata.name");
          }
          if (h.getMetadata().getNamespace() == null && !"Namespace".equals(h.getKind())) {
            h.getMetadata().setNamespace("default");
          }
          Optional<Resource> converted;
          try {
            converted = KubeObjects.convert(h);
          } catch (IllegalArgumentException e) {
            // An object the API server would refuse (e.g. a NetworkPolicy ipBlock without a
            // prefix): the file fails with the reason and keeps its last good content.
            return failed(file, line, String.valueOf(e.getMessage()));
          }
          if (converted.isPresent()) {
            objects.put(converted.get().key(), converted.get());
          } else {
            skipped++;
          }
        }
      }
    } catch (LimitedParser.LimitExceeded e) {
      return failed(file, e.line, e.reason);
    } catch (MarkedYamlEngineException e) {
      var mark = e.getContextMark().or(e::getProblemMark);
      String context = e.getContext();
      return failed(
          file,
          mark.map(m -> m.getLine() + 1).orElse(line),
          context == null ? e.getProblem() : context + ": " + e.getProblem());
    } catch (RuntimeException e) {
      // fabric8's convertValue wraps the mapper's exception, which knows the field's path.
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof JacksonException je) {
          return failed(
              file, line, path(je) + firstLine(je.getOriginalMessage(), "invalid object"));
        }
      }
      return failed(file, line, firstLine(rootMessage(e), "invalid YAML"));
    } catch (StackOverflowError e) {
      // Not expected within the limits; if it happens anyway, it is this file's failure alone.
      return failed(file, line, "too deeply nested for the parser (stack overflow)");
    } catch (OutOfMemoryError e) {
      return failed(file, line, "too large for the parser (out of memory)");
    }
    return new Result(objects, skipped, null);
  }

  static Result failed(Path file, int line, String reason) {
    return new Result(Map.of(), 0, new ManifestError(file, line, reason));
  }

  /**
   * Lines that start a document ({@code ---} alone or followed by a space): an upper bound on the
   * documents found cheaply, so a file of 100,000 documents is refused without parsing any. YAML
   * forbids such a line inside a scalar, so this does not over-count real content.
   */
  static int documentMarkers(String text) {
    int count = 0;
    int i = 0;
    while (i >= 0 && i < text.length()) {
      if (text.startsWith("---", i)) {
        int after = i + 3;
        if (after == text.length() || " \t\r\n".indexOf(text.charAt(after)) >= 0) {
          count++;
        }
      }
      int nl = text.indexOf('\n', i);
      i = nl < 0 ? -1 : nl + 1;
    }
    return count;
  }

  /** {@code spec.containers[0].ports[0].containerPort: } for a mapping error, else nothing. */
  private static String path(JacksonException e) {
    StringBuilder b = new StringBuilder();
    for (JacksonException.Reference r : e.getPath()) {
      if (r.getPropertyName() != null) {
        b.append(b.isEmpty() ? "" : ".").append(r.getPropertyName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.isEmpty() ? "" : b + ": ";
  }

  private static String kind(Object value) {
    return value instanceof List<?> ? "sequence" : "scalar";
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  private static String firstLine(@Nullable String s, String fallback) {
    return s == null ? fallback : s.lines().findFirst().orElse(fallback);
  }
}
