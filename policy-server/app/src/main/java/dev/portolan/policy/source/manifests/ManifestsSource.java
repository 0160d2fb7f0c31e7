package dev.portolan.policy.source.manifests;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.SyncState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default source: a directory of Kubernetes YAML, reloaded when it changes. A file
 * that fails to parse is reported and its last good content stays served; nothing else stops.
 */
public final class ManifestsSource implements AutoCloseable {
  public static final String NAME = "manifests";
  private static final Logger log = LoggerFactory.getLogger(ManifestsSource.class);

  private final Path dir;
  private final Duration quietPeriod;
  private final ClusterSink sink;
  private final SyncState sync;
  // Guarded by this: reloads run on the watch thread, and on the caller for the first load.
  private final Map<Path, Map<Resource.Key, Resource>> lastGood = new HashMap<>();
  private Map<Resource.Key, Resource> served = Map.of();
  private volatile List<ManifestError> errors = List.of();
  private volatile int objectCount;
  private WatchService watcher;
  private Thread thread;

  public ManifestsSource(Path dir, Duration quietPeriod, ClusterSink sink, SyncState sync) {
    this.dir = dir.toAbsolutePath().normalize();
    this.quietPeriod = quietPeriod;
    this.sink = sink;
    this.sync = sync;
    sync.register(NAME);
  }

  /** Loads the directory once, marks the source synced, then watches for changes. */
  public void start() {
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(
          "portolan.manifests.dir "
              + dir
              + " is not a directory (set --portolan.manifests.dir=PATH)");
    }
    reload();
    sync.markSynced(NAME);
    try {
      watcher = FileSystems.getDefault().newWatchService();
      registerTree(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot watch " + dir, e);
    }
    thread = Thread.ofPlatform().daemon().name("portolan-manifests-watch").start(this::watchLoop);
  }

  public List<ManifestError> errors() {
    return errors;
  }

  public int objectCount() {
    return objectCount;
  }

  public Path dir() {
    return dir;
  }

  /** Re-reads every file and submits the difference from what is served. */
  public synchronized void reload() {
    Map<Path, ManifestFile.Result> results = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        if (Files.isRegularFile(f) && (name.endsWith(".yaml") || name.endsWith(".yml"))) {
          results.put(f, ManifestFile.read(f));
        }
      }
    } catch (IOException e) {
      log.error("cannot list {}: {}; keeping what is served", dir, e.toString());
      return;
    }
    List<ManifestError> newErrors = new ArrayList<>();
    lastGood.keySet().retainAll(results.keySet());
    for (var e : results.entrySet()) {
      ManifestFile.Result r = e.getValue();
      if (r.error() != null) {
        newErrors.add(r.error());
        if (!errors.contains(r.error())) {
          log.error(
              "manifest {} not loaded: {}; its last good content stays served",
              r.error(),
              lastGood.containsKey(e.getKey())
                  ? "(previous version kept)"
                  : "(nothing from it yet)");
        }
      } else {
        lastGood.put(e.getKey(), r.objects());
      }
    }
    Map<Resource.Key, Resource> next = new LinkedHashMap<>();
    // Sorted by path: on a duplicate key the later file wins, predictably.
    new TreeMap<>(lastGood).values().forEach(next::putAll);
    List<Change> changes = new ArrayList<>();
    for (var e : next.entrySet()) {
      if (!Objects.equals(served.get(e.getKey()), e.getValue())) {
        changes.add(new Change.Upsert(e.getValue()));
      }
    }
    for (Resource.Key k : served.keySet()) {
      if (!next.containsKey(k)) {
        changes.add(new Change.Delete(k));
      }
    }
    served = next;
    errors = List.copyOf(newErrors);
    objectCount = next.size();
    if (!changes.isEmpty()) {
      log.info("manifests {}: {} objects, {} changes", dir, next.size(), changes.size());
      sink.apply(changes);
    }
  }

  private void watchLoop() {
    try {
      while (!Thread.currentThread().isInterrupted()) {
        WatchKey key = watcher.take();
        handle(key);
        // Debounce: editors write in several steps; reload once the directory is quiet.
        while ((key = watcher.poll(quietPeriod.toMillis(), TimeUnit.MILLISECONDS)) != null) {
          handle(key);
        }
        reload();
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(WatchKey key) {
    Path base = (Path) key.watchable();
    for (var event : key.pollEvents()) {
      if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE
          && event.context() instanceof Path p
          && Files.isDirectory(base.resolve(p))) {
        try {
          registerTree(base.resolve(p));
        } catch (IOException e) {
          log.warn("cannot watch new directory {}: {}", base.resolve(p), e.toString());
        }
      }
    }
    key.reset();
  }

  private void registerTree(Path root) throws IOException {
    try (Stream<Path> dirs = Files.walk(root)) {
      for (Path d : (Iterable<Path>) dirs.filter(Files::isDirectory)::iterator) {
        d.register(
            watcher,
            StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_MODIFY,
            StandardWatchEventKinds.ENTRY_DELETE);
      }
    }
  }

  @Override
  public void close() {
    if (thread != null) {
      thread.interrupt();
    }
    try {
      if (watcher != null) {
        watcher.close();
      }
    } catch (IOException e) {
      log.debug("closing watcher", e);
    }
  }
}
