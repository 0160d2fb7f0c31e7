package dev.portolan.policy.source.manifests;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches directories (inotify through {@link WatchService}) and runs a reload once they have been
 * quiet for a while (editors write in several steps).
 *
 * <p>It cannot stop for good: anything thrown out of a reload or the watch (an {@code Error}
 * included) is counted and logged, and the loop starts again on a fresh watch service after a
 * backoff (0.1 s doubling to 10 s, reset by a reload that completes), beginning with a full reload
 * so that nothing that changed meanwhile is missed. Should the thread die anyway (the handler
 * itself failing), its uncaught-exception handler starts a new one, which waits out the backoff
 * first.
 */
final class DirectoryWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ManifestsSource.class);
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
  private static final Duration LAST_BACKOFF = Duration.ofSeconds(10);

  /** Running, or waiting to run again after a failure. */
  enum State {
    RUNNING,
    RESTARTING,
    STOPPED
  }

  private final Duration quietPeriod;
  private final Runnable reload;
  private final Runnable resync;
  private final Runnable onStateChange;
  private final AtomicLong restarts = new AtomicLong();
  // Guarded by this: the directories to watch, and the service they are registered with.
  private final Set<Path> directories = new HashSet<>();
  private @Nullable WatchService service;
  private volatile @Nullable String lastFailure;
  private volatile State state = State.STOPPED;
  private volatile boolean closed;
  private volatile @Nullable Thread thread;
  // Used by one watch thread at a time (a replacement starts only after the old one died).
  private volatile Duration backoff = FIRST_BACKOFF;

  /**
   * @param reload after changes, once the directories are quiet
   * @param resync after a restart: changes may have been missed while the watch was down
   * @param onStateChange after the state changes (to update health)
   */
  DirectoryWatcher(Duration quietPeriod, Runnable reload, Runnable resync, Runnable onStateChange) {
    this.quietPeriod = quietPeriod;
    this.reload = reload;
    this.resync = resync;
    this.onStateChange = onStateChange;
  }

  synchronized void start() throws IOException {
    service = FileSystems.getDefault().newWatchService();
    registerAll(service);
    startThread(false);
  }

  /**
   * The directories to watch now. Each is registered again on every call: registering a watched
   * directory is a cheap no-op, and a directory deleted and created again between two reloads is a
   * new one whose watch would otherwise be missing. The watch on a deleted directory ends with it.
   */
  synchronized void watch(Collection<Path> dirs) {
    directories.clear();
    directories.addAll(dirs);
    if (service != null) {
      registerAll(service);
    }
  }

  long restarts() {
    return restarts.get();
  }

  @Nullable String lastFailure() {
    return lastFailure;
  }

  State state() {
    return state;
  }

  private void startThread(boolean restarted) {
    Thread t =
        Thread.ofPlatform()
            .daemon()
            .name("portolan-manifests-watch")
            .uncaughtExceptionHandler((dead, e) -> {
              // The supervising loop below failed itself (say, out of memory while logging).
              failed(e);
              if (!closed) {
                startThread(true);
              }
            })
            .unstarted(() -> supervise(restarted));
    thread = t;
    t.start();
  }

  private void supervise(boolean restarted) {
    boolean resyncFirst = restarted;
    if (restarted && !pause()) {
      return;
    }
    while (!closed) {
      Throwable failure;
      try {
        if (resyncFirst) {
          reopen();
          resync.run();
          backoff = FIRST_BACKOFF;
        }
        setState(State.RUNNING);
        watchLoop();
        return; // closed
      } catch (InterruptedException | ClosedWatchServiceException e) {
        if (closed) {
          return;
        }
        failure = e;
      } catch (Throwable e) {
        failure = e;
      }
      failed(failure);
      resyncFirst = true;
      setState(State.RESTARTING);
      // Not an input error (a file's failure stays inside the reload): a bug or the environment,
      // so the stack trace is worth its lines.
      log.error(
          "manifests watcher failed ({}); restarting in {} ms (restart {}), serving the last"
              + " state meanwhile",
          lastFailure,
          backoff.toMillis(),
          restarts.get(),
          failure);
      if (!pause()) {
        return;
      }
    }
  }

  /** Waits out the backoff and doubles it; false when closed meanwhile. */
  private boolean pause() {
    try {
      Thread.sleep(backoff);
    } catch (InterruptedException e) {
      return false; // closed
    }
    backoff = backoff.multipliedBy(2);
    if (backoff.compareTo(LAST_BACKOFF) > 0) {
      backoff = LAST_BACKOFF;
    }
    return !closed;
  }

  private void watchLoop() throws InterruptedException {
    WatchService ws;
    synchronized (this) {
      ws = service;
    }
    if (ws == null) {
      throw new IllegalStateException("not started");
    }
    while (!closed) {
      WatchKey key = ws.take();
      key.pollEvents();
      key.reset();
      // Debounce: reload once nothing has changed for the quiet period.
      while ((key = ws.poll(quietPeriod.toMillis(), TimeUnit.MILLISECONDS)) != null) {
        key.pollEvents();
        key.reset();
      }
      reload.run();
      backoff = FIRST_BACKOFF;
    }
  }

  private void failed(Throwable e) {
    restarts.incrementAndGet();
    lastFailure = LogText.of(e.getClass().getName() + ": " + e.getMessage(), 200);
  }

  private void setState(State s) {
    if (state != s) {
      state = s;
      onStateChange.run();
    }
  }

  /** A fresh watch service: the old one may be what failed. */
  private synchronized void reopen() throws IOException {
    if (service != null) {
      service.close();
    }
    service = FileSystems.getDefault().newWatchService();
    registerAll(service);
  }

  private void registerAll(WatchService ws) {
    for (Path d : directories) {
      register(ws, d);
    }
  }

  private void register(WatchService ws, Path d) {
    try {
      d.register(
          ws,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException e) {
      log.warn("cannot watch directory {}: {}", LogText.of(d), LogText.of(e.getMessage()));
    }
  }

  @Override
  public void close() {
    closed = true;
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
    synchronized (this) {
      try {
        if (service != null) {
          service.close();
        }
      } catch (IOException e) {
        log.debug("closing the watch service: {}", e.toString());
      }
    }
    state = State.STOPPED;
  }
}
