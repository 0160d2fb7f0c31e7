package dev.portolan.policy.source.manifests;

import dev.portolan.policy.model.Resource;
import dev.portolan.policy.source.KubeObjects;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;

/** Reads one multi-document YAML file into records, or fails with the file, line and reason. */
final class ManifestFile {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** Either the file's objects (by key, last one wins) and skipped kinds, or an error. */
  record Result(Map<Resource.Key, Resource> objects, int skipped, ManifestError error) {}

  private ManifestFile() {}

  static Result read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      return failed(file, 0, "cannot read: " + e.getMessage());
    }
    Map<Resource.Key, Resource> objects = new LinkedHashMap<>();
    int skipped = 0;
    for (Document doc : split(text)) {
      if (doc.isBlank()) {
        continue;
      }
      Object parsed;
      try {
        parsed = SERIALIZATION.unmarshal(doc.text());
      } catch (RuntimeException e) {
        return failed(file, doc.startLine() + relativeLine(e) - 1, reason(e));
      }
      List<HasMetadata> items = new ArrayList<>();
      if (parsed instanceof KubernetesList list) {
        items.addAll(list.getItems());
      } else if (parsed instanceof HasMetadata h) {
        items.add(h);
      } else if (parsed != null) {
        return failed(file, doc.startLine(), "not a Kubernetes object");
      }
      for (HasMetadata h : items) {
        if (h.getMetadata() == null || h.getMetadata().getName() == null) {
          return failed(file, doc.startLine(), h.getKind() + " without metadata.name");
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
          return failed(file, doc.startLine(), e.getMessage());
        }
        if (converted.isPresent()) {
          objects.put(converted.get().key(), converted.get());
        } else {
          skipped++;
        }
      }
    }
    return new Result(objects, skipped, null);
  }

  private static Result failed(Path file, int line, String reason) {
    return new Result(Map.of(), 0, new ManifestError(file, line, reason));
  }

  private record Document(int startLine, String text) {
    boolean isBlank() {
      for (String line : text.split("\n")) {
        String t = line.strip();
        if (!t.isEmpty() && !t.startsWith("#")) {
          return false;
        }
      }
      return true;
    }
  }

  /** Splits on "---" separator lines, remembering where each document starts. */
  private static List<Document> split(String text) {
    List<Document> docs = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    StringBuilder current = new StringBuilder();
    int start = 1;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.startsWith("---") && line.substring(3).isBlank()) {
        docs.add(new Document(start, current.toString()));
        current.setLength(0);
        start = i + 2;
      } else {
        current.append(line).append('\n');
      }
    }
    docs.add(new Document(start, current.toString()));
    return docs;
  }

  /** 1-based line within the document: where the broken construct starts, if known. */
  private static int relativeLine(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MarkedYamlEngineException y) {
        var mark = y.getContextMark().or(y::getProblemMark);
        if (mark.isPresent()) {
          return mark.get().getLine() + 1;
        }
      }
      if (t instanceof JacksonException je) {
        TokenStreamLocation loc = je.getLocation();
        if (loc != null && loc.getLineNr() > 0) {
          return loc.getLineNr();
        }
      }
    }
    return 1;
  }

  private static String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MarkedYamlEngineException y) {
        String context = y.getContext();
        return context == null ? y.getProblem() : context + ": " + y.getProblem();
      }
      if (t instanceof JacksonException je && je.getOriginalMessage() != null) {
        return je.getOriginalMessage().lines().findFirst().orElse("invalid YAML");
      }
    }
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    String msg = root.getMessage();
    return msg == null ? root.getClass().getSimpleName() : msg.lines().findFirst().orElse(msg);
  }
}
