package dev.portolan.policy.web;

import dev.portolan.policy.source.manifests.ManifestsSource;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/manifests}: the served directory, object and file counts, files that failed
 * (file, line, reason), the watcher's state and restarts, and the limits in force.
 */
@Component
@Endpoint(id = "manifests")
public class ManifestsEndpoint {
  private final ObjectProvider<ManifestsSource> source;

  public ManifestsEndpoint(ObjectProvider<ManifestsSource> source) {
    this.source = source;
  }

  @ReadOperation
  public Map<String, Object> status() {
    Map<String, Object> out = new LinkedHashMap<>();
    ManifestsSource s = source.getIfAvailable();
    if (s == null) {
      out.put("enabled", false);
      return out;
    }
    var stats = s.stats();
    out.put("enabled", true);
    out.put("dir", s.dir().toString());
    out.put("objects", s.objectCount());
    out.put("files", stats.files());
    out.put("filesParsed", stats.filesParsed());
    out.put("reloads", stats.reloads());
    Map<String, Object> watcher = new LinkedHashMap<>();
    watcher.put("state", stats.watcherState());
    watcher.put("restarts", stats.watcherRestarts());
    if (stats.lastWatcherFailure() != null) {
      watcher.put("lastFailure", stats.lastWatcherFailure());
    }
    out.put("watcher", watcher);
    var limits = s.limits();
    out.put(
        "limits",
        Map.of(
            "maxFileSize", limits.maxFileSize().toString(),
            "maxDocuments", limits.maxDocuments(),
            "maxDepth", limits.maxDepth(),
            "maxAliases", limits.maxAliases(),
            "maxNodes", limits.maxNodes()));
    out.put(
        "errors",
        s.errors().stream()
            .map(e -> Map.of("file", e.file().toString(), "line", e.line(), "reason", e.reason()))
            .toList());
    return out;
  }
}
