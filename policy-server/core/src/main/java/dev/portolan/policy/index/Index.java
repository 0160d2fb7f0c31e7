package dev.portolan.policy.index;

import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.Resolver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * The cluster state and its subscriptions.
 *
 * <p>Threading: one writer thread owns the snapshot builder and the topic table. Sources submit
 * changes from any thread; the writer drains everything pending as one batch, publishes one new
 * immutable snapshot, recomputes only the topics the batch can affect, and wakes the listeners of
 * topics whose value changed. Listeners must return quickly (they schedule their own work). Each
 * topic holds only its latest value: a slow subscriber reads the newest state when it is ready, so
 * nothing queues per subscriber.
 *
 * <p>Keys hold what an answer depends on, never who asks: every subscriber of a destination shares
 * its topic and its value. Each subscriber belongs to a client class; what a class is told
 * differently (an overlay) is computed once per class and value, on this thread, with the value.
 */
public final class Index implements AutoCloseable {
  private final Resolver resolver;
  private final IndexObserver observer;
  private final ExecutorService writer;
  private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean drainScheduled = new AtomicBoolean();
  // Owned by the writer thread.
  private final Map<TopicKey<?>, Topic<?>> topics = new HashMap<>();
  private volatile Snapshot snapshot = Snapshot.EMPTY;

  public Index(Resolver resolver, IndexObserver observer) {
    this.resolver = resolver;
    this.observer = observer;
    this.writer =
        Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "portolan-index-writer");
          t.setDaemon(true);
          return t;
        });
  }

  public Index(Resolver resolver) {
    this(resolver, IndexObserver.NONE);
  }

  public Resolver resolver() {
    return resolver;
  }

  /** The latest published snapshot. */
  public Snapshot snapshot() {
    return snapshot;
  }

  /** Queues changes; they are applied together with whatever else is pending. */
  public void submit(List<Change> changes) {
    if (changes.isEmpty()) {
      return;
    }
    pending.add(new Pending(List.copyOf(changes), System.nanoTime()));
    if (drainScheduled.compareAndSet(false, true)) {
      writer.execute(this::drain);
    }
  }

  public void submit(Change change) {
    submit(List.of(change));
  }

  /** Completes once every change submitted before this call has been applied and published. */
  public CompletableFuture<Snapshot> flush() {
    CompletableFuture<Snapshot> done = new CompletableFuture<>();
    writer.execute(() -> {
      drain();
      done.complete(snapshot);
    });
    return done;
  }

  /**
   * Subscribes to a key as a client of class {@code client}. The first value is computed on the
   * writer thread (so no change can slip between computing it and registering), then {@code
   * onChange} runs; it runs again after every change of the value this class sees. It runs on the
   * writer thread and must not block. It may run before this method returns: a listener that needs
   * the returned handle must tolerate not having it yet (see {@code StreamPump}, which re-checks
   * after assigning it).
   */
  public <V> Subscription<V> subscribe(TopicKey<V> key, ClientClass client, Runnable onChange) {
    Objects.requireNonNull(client);
    Objects.requireNonNull(onChange);
    Handle<V> handle = new Handle<>(key, new Topic.Listener(client, onChange));
    writer.execute(() -> attach(handle));
    return handle;
  }

  /** Subscribes as a client of the one class everyone is in when nothing varies by client. */
  public <V> Subscription<V> subscribe(TopicKey<V> key, Runnable onChange) {
    return subscribe(key, ClientClass.EVERYONE, onChange);
  }

  /** Number of distinct topics (shared computations) open now; approximate off the writer. */
  public int topicCount() {
    return topics.size();
  }

  @Override
  public void close() {
    writer.shutdownNow();
    try {
      writer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void drain() {
    drainScheduled.set(false);
    List<Pending> batch = new ArrayList<>();
    for (Pending p; (p = pending.poll()) != null; ) {
      batch.add(p);
    }
    if (batch.isEmpty()) {
      return;
    }
    long start = System.nanoTime();
    long eventNanos = batch.getFirst().nanos();
    SnapshotBuilder builder = new SnapshotBuilder(snapshot);
    int count = 0;
    for (Pending p : batch) {
      builder.applyAll(p.changes());
      count += p.changes().size();
    }
    Snapshot previous = snapshot;
    Snapshot next = builder.build();
    ChangeSet changes = builder.changes();
    snapshot = next;
    observer.snapshotPublished(next, changes);
    int recomputed = 0;
    int changed = 0;
    if (!changes.isEmpty()) {
      // A policy or label change anywhere can change what a client Pod is told about any topic
      // (docs/design/networkpolicy.md); only worth it when some policy exists before or after.
      boolean clients =
          changes.clients()
              && (!next.networkPolicies().isEmpty() || !previous.networkPolicies().isEmpty());
      for (Topic<?> t : topics.values()) {
        Topic.Woken woken;
        if (t.affectedBy(changes)) {
          woken = t.recompute(resolver, next, eventNanos);
        } else if (clients && t.variesByClient()) {
          // Only what the policies read about clients changed: the value stands, the overlays
          // are evaluated again, and only classes whose verdict changed are woken.
          woken = t.reclassify(resolver, next, eventNanos);
        } else {
          continue;
        }
        recomputed++;
        if (woken.any()) {
          changed++;
          t.wake(woken);
        }
      }
    }
    observer.batchApplied(count, recomputed, changed, System.nanoTime() - start);
  }

  @SuppressWarnings("unchecked")
  private <V> void attach(Handle<V> handle) {
    if (handle.closed) {
      return;
    }
    Topic<V> topic = (Topic<V>) topics.get(handle.key);
    if (topic == null) {
      topic = new Topic<>(handle.key);
      topic.recompute(resolver, snapshot, System.nanoTime());
      topics.put(handle.key, topic);
    }
    topic.add(handle.listener, resolver, snapshot);
    handle.topic = topic;
    handle.listener.onChange().run();
  }

  private <V> void detach(Handle<V> handle) {
    Topic<V> topic = handle.topic;
    if (topic == null) {
      return;
    }
    topic.remove(handle.listener);
    if (!topic.hasListeners()) {
      topics.remove(topic.key);
    }
  }

  private record Pending(List<Change> changes, long nanos) {}

  private final class Handle<V> implements Subscription<V> {
    final TopicKey<V> key;
    final Topic.Listener listener;
    volatile @Nullable Topic<V> topic;
    volatile boolean closed;

    Handle(TopicKey<V> key, Topic.Listener listener) {
      this.key = key;
      this.listener = listener;
    }

    @Override
    public @Nullable Versioned<V> current() {
      Topic<V> t = topic;
      return t == null ? null : t.current(listener.client());
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        if (!writer.isShutdown()) {
          writer.execute(() -> detach(this));
        }
      }
    }
  }
}
