package dev.portolan.policy.source.manifests;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.SyncState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default source: a directory of Kubernetes YAML, reloaded when it changes.
 *
 * <p>A file that fails — unreadable, invalid, over a limit ({@link ManifestsLimits}), or a parser
 * that throws anything at all — fails alone: it is reported (log, {@code /actuator/manifests},
 * health) and its last good content stays served. Only files whose size, modification time or inode
 * changed are read again, and only those whose content hash changed are parsed again. The watcher
 * restarts itself if anything escapes ({@link DirectoryWatcher}).
 */
public final class ManifestsSource implements AutoCloseable {
  public static final String NAME = "manifests";
  private static final Logger log = LoggerFactory.getLogger(ManifestsSource.class);

  /** What is known of one file: its last good objects and, if its last read failed, why. */
  private record FileState(
      FileStamp stamp,
      byte @Nullable [] hash,
      Map<Resource.Key, Resource> objects,
      @Nullable ManifestError error) {}

  /** Counters and watcher state for the actuator and metrics. */
  public record Stats(
      int files,
      long filesParsed,
      long reloads,
      String watcherState,
      long watcherRestarts,
      @Nullable String lastWatcherFailure) {}

  private final Path dir;
  private final ClusterSink sink;
  private final SyncState sync;
  private final ManifestsLimits limits;
  private final DirectoryWatcher watcher;
  // Guarded by this: reloads run on the watch thread, and on the caller for the first load.
  private final Map<Path, FileState> files = new HashMap<>();
  private final Declarations declarations = new Declarations();
  private final Map<Resource.Key, Resource> served = new HashMap<>();
  private boolean fullDiff = true;
  private final AtomicLong filesParsed = new AtomicLong();
  private final AtomicLong reloads = new AtomicLong();
  private volatile List<ManifestError> errors = List.of();
  private volatile int objectCount;
  private volatile int fileCount;

  public ManifestsSource(Path dir, Duration quietPeriod, ClusterSink sink, SyncState sync) {
    this(dir, quietPeriod, sink, sync, ManifestsLimits.DEFAULTS);
  }

  public ManifestsSource(
      Path dir, Duration quietPeriod, ClusterSink sink, SyncState sync, ManifestsLimits limits) {
    this.dir = dir.toAbsolutePath().normalize();
    this.sink = sink;
    this.sync = sync;
    this.limits = limits;
    this.watcher = new DirectoryWatcher(quietPeriod, this::reload, this::resync, this::report);
    sync.register(NAME);
  }

  /** Watches the directory, loads it once, and marks the source synced. */
  public void start() {
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(
          "portolan.manifests.dir "
              + dir
              + " is not a directory (set --portolan.manifests.dir=PATH)");
    }
    // Watch first: a change made while the first load runs then triggers another reload.
    watcher.watch(List.of(dir));
    try {
      watcher.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot watch " + dir, e);
    }
    reload();
    sync.markSynced(NAME);
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

  public ManifestsLimits limits() {
    return limits;
  }

  public Stats stats() {
    return new Stats(
        fileCount,
        filesParsed.get(),
        reloads.get(),
        watcher.state().name().toLowerCase(java.util.Locale.ROOT),
        watcher.restarts(),
        watcher.lastFailure());
  }

  /** Like {@link #reload()}, but compares everything served (after a failure, which may lie). */
  synchronized void resync() {
    fullDiff = true;
    reload();
  }

  /** Reads the files that changed and submits the difference from what is served. */
  public synchronized void reload() {
    reloads.incrementAndGet();
    DirectoryListing listing;
    try {
      listing = DirectoryListing.of(dir);
    } catch (IOException | RuntimeException e) {
      log.error(
          "cannot list {}: {}; keeping what is served", LogText.of(dir), LogText.of(e.toString()));
      return;
    }
    watcher.watch(listing.directories());
    Set<Resource.Key> affected = new HashSet<>();
    for (var it = files.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      Path gone = entry.getKey();
      if (!listing.files().containsKey(gone) && !listing.broken().containsKey(gone)) {
        FileState state = entry.getValue();
        it.remove();
        declarations.replace(gone, state.objects(), Map.of(), affected);
      }
    }
    for (var e : listing.files().entrySet()) {
      Path path = e.getKey();
      FileStamp stamp = FileStamp.of(e.getValue());
      FileState before = files.get(path);
      if (before != null && before.stamp().equals(stamp)) {
        continue;
      }
      FileState after = load(path, stamp, before);
      files.put(path, after);
      Map<Resource.Key, Resource> old = before == null ? Map.of() : before.objects();
      if (after.objects() != old) {
        declarations.replace(path, old, after.objects(), affected);
      }
    }
    List<Change> changes = diff(fullDiff ? allKeys() : affected);
    if (!changes.isEmpty()) {
      // If the sink throws, fullDiff stays set: the next reload compares everything again.
      fullDiff = true;
      sink.apply(changes);
      for (Change c : changes) {
        switch (c) {
          case Change.Upsert u -> served.put(u.resource().key(), u.resource());
          case Change.Delete d -> served.remove(d.key());
        }
      }
      log.info(
          "manifests {}: {} objects, {} changes", LogText.of(dir), served.size(), changes.size());
    }
    fullDiff = false;
    objectCount = served.size();
    fileCount = listing.files().size();
    updateErrors(listing.broken());
  }

  private Set<Resource.Key> allKeys() {
    Set<Resource.Key> keys = new HashSet<>(declarations.keys());
    keys.addAll(served.keySet());
    return keys;
  }

  private List<Change> diff(Set<Resource.Key> keys) {
    List<Change> changes = new ArrayList<>();
    for (Resource.Key k : keys) {
      Resource next = declarations.winner(k);
      Resource current = served.get(k);
      if (next == null) {
        if (current != null) {
          changes.add(new Change.Delete(k));
        }
      } else if (!Objects.equals(current, next)) {
        changes.add(new Change.Upsert(next));
      }
    }
    return changes;
  }

  /**
   * Reads, hashes and parses one file whose stamp changed. Whatever goes wrong — an I/O error, a
   * limit, invalid YAML, or anything the parser throws — becomes this file's error, and its last
   * good objects are kept.
   */
  private FileState load(Path path, FileStamp stamp, @Nullable FileState before) {
    Map<Resource.Key, Resource> lastGood = before == null ? Map.of() : before.objects();
    ManifestError error;
    byte[] hash = null;
    try {
      FileReader.Read read = FileReader.read(path, stamp.size(), limits);
      if (read.error() != null) {
        error = read.error();
      } else {
        hash = read.hash();
        if (before != null
            && before.hash() != null
            && java.util.Arrays.equals(hash, before.hash())) {
          // Same bytes (touched, or rewritten unchanged): same outcome as last time.
          return new FileState(stamp, hash, before.objects(), before.error());
        }
        filesParsed.incrementAndGet();
        ManifestFile.Result r = ManifestFile.parse(path, read.text(), limits);
        if (r.error() == null) {
          return new FileState(stamp, hash, Map.copyOf(r.objects()), null);
        }
        error = r.error();
      }
    } catch (Throwable t) {
      error = new ManifestError(path, 0, "failed: " + t);
    }
    // Expected user errors: one line, no stack trace.
    log.warn(
        "manifest not loaded ({}): {}",
        lastGood.isEmpty() ? "nothing from it is served" : "its last good content stays served",
        error);
    return new FileState(stamp, hash, lastGood, error);
  }

  private void updateErrors(Map<Path, String> broken) {
    List<ManifestError> next = new ArrayList<>();
    for (var e : files.entrySet()) {
      if (e.getValue().error() != null && !broken.containsKey(e.getKey())) {
        next.add(e.getValue().error());
      }
    }
    Set<ManifestError> known = new HashSet<>(errors);
    for (var b : broken.entrySet()) {
      ManifestError error = new ManifestError(b.getKey(), 0, b.getValue());
      next.add(error);
      if (!known.contains(error)) {
        log.warn("manifests: {}", error);
      }
    }
    next.sort(Comparator.comparing(ManifestError::file));
    errors = List.copyOf(next);
    report();
  }

  /** Health shows failed files and a restarting watcher; readiness itself stays UP. */
  private void report() {
    List<String> problems = new ArrayList<>();
    int failed = errors.size();
    if (failed > 0) {
      problems.add(
          failed + (failed == 1 ? " file" : " files") + " not loaded (see /actuator/manifests)");
    }
    if (watcher.state() == DirectoryWatcher.State.RESTARTING) {
      problems.add("watcher restarting after: " + watcher.lastFailure());
    }
    sync.setProblem(NAME, problems.isEmpty() ? null : String.join("; ", problems));
  }

  @Override
  public void close() {
    watcher.close();
  }
}
