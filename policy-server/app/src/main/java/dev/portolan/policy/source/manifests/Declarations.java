package dev.portolan.policy.source.manifests;

import dev.portolan.policy.model.Resource;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Which files declare each object. When two files declare the same object, the file that sorts
 * later by path wins, whatever the order in which they were read. Kept up to date file by file, so
 * an edit costs the size of the edited file, not of the directory.
 */
final class Declarations {
  private final Map<Resource.Key, TreeMap<Path, Resource>> byKey = new HashMap<>();

  /**
   * Replaces what {@code file} declares; adds every key whose declarations changed to {@code
   * affected}.
   */
  void replace(
      Path file,
      Map<Resource.Key, Resource> before,
      Map<Resource.Key, Resource> after,
      Set<Resource.Key> affected) {
    for (Resource.Key k : before.keySet()) {
      if (!after.containsKey(k)) {
        TreeMap<Path, Resource> files = byKey.get(k);
        if (files != null) {
          files.remove(file);
          if (files.isEmpty()) {
            byKey.remove(k);
          }
        }
        affected.add(k);
      }
    }
    for (var e : after.entrySet()) {
      byKey.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).put(file, e.getValue());
      affected.add(e.getKey());
    }
  }

  /** The declaration that wins, or null when no file declares the key. */
  @Nullable Resource winner(Resource.Key key) {
    TreeMap<Path, Resource> files = byKey.get(key);
    return files == null ? null : files.lastEntry().getValue();
  }

  Set<Resource.Key> keys() {
    return byKey.keySet();
  }
}
