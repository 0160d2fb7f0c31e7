package dev.portolan.proxy.discovery;

import dev.portolan.proxy.grpc.GrpcChannel;
import dev.portolan.proxy.grpc.GrpcStatusException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * One long-lived discovery stream: keeps the latest value, reconnects with jittered exponential
 * backoff ({@link Limits#backoffMillis}) when the stream ends, and keeps serving the last known
 * value (marked stale) meanwhile. It counts the connections using it: {@link Discovery} closes it
 * once it has had no user for the idle timeout.
 *
 * @param <M> stream message type
 * @param <V> the value derived from the messages so far
 */
final class Watch<M, V> {
  private final String name;
  private final Function<GrpcChannel.Listener<M>, GrpcChannel.Call> open;
  private final BiFunction<V, M, V> fold;
  private final @Nullable V initial;
  private final ScheduledExecutorService scheduler;
  private final Limits limits;
  private final Runnable onStaleChange;
  // Completes on the first message or the first failure: nobody waits on a control plane that is
  // known to be unreachable; they get the fallback (or the last known value) at once.
  private final CompletableFuture<Void> settled = new CompletableFuture<>();
  private volatile @Nullable V latest;
  private volatile boolean stale;
  private volatile boolean closed;
  private volatile GrpcChannel.@Nullable Call call;
  private int failures;
  // Guarded by the map entry that holds this watch (Discovery changes them inside compute).
  private int users;
  private long idleSinceNanos = System.nanoTime();

  Watch(
      String name,
      Function<GrpcChannel.Listener<M>, GrpcChannel.Call> open,
      @Nullable V initial,
      BiFunction<V, M, V> fold,
      ScheduledExecutorService scheduler,
      Limits limits,
      Runnable onStaleChange) {
    this.name = name;
    this.open = open;
    this.initial = initial;
    this.fold = fold;
    this.scheduler = scheduler;
    this.limits = limits;
    this.onStaleChange = onStaleChange;
    start();
  }

  /** The latest value, or null before the first message. */
  @Nullable V latest() {
    return latest;
  }

  boolean stale() {
    return stale;
  }

  /** One more connection uses this watch (called inside the map's compute for its key). */
  void acquire() {
    users++;
  }

  /** A connection using this watch is gone (called inside the map's compute for its key). */
  void release() {
    if (--users <= 0) {
      users = 0;
      idleSinceNanos = System.nanoTime();
    }
  }

  /** No connection has used it for {@code idle} (called inside the map's compute for its key). */
  boolean idleFor(Duration idle, long nowNanos) {
    return users == 0 && nowNanos - idleSinceNanos >= idle.toNanos();
  }

  /** Ends the stream for good: no reconnect, the server forgets the subscription. */
  void close() {
    closed = true;
    GrpcChannel.Call c = call;
    if (c != null) {
      c.cancel("destination evicted after idle");
    }
  }

  /**
   * Completes with the latest value; before the first one, waits until it comes, the stream fails,
   * or {@code wait} passes — then null.
   */
  CompletableFuture<V> firstWithin(Duration wait) {
    V v = latest;
    if (v != null || settled.isDone()) {
      return CompletableFuture.completedFuture(v);
    }
    return settled
        .copy()
        .completeOnTimeout(null, wait.toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(x -> latest);
  }

  private void start() {
    if (closed) {
      return;
    }
    call =
        open.apply(
            new GrpcChannel.Listener<M>() {
              // A reconnected stream starts again from its first message; until that message the
              // previous value stays the answer (never a transient empty one).
              private @Nullable V acc = initial;

              @Override
              public void onMessage(M m) {
                acc = fold.apply(acc, m);
                latest = acc;
                failures = 0;
                if (stale) {
                  stale = false;
                  onStaleChange.run();
                }
                settled.complete(null);
              }

              @Override
              public void onClose(@Nullable GrpcStatusException error) {
                retry();
              }
            });
  }

  private void retry() {
    settled.complete(null);
    if (closed) {
      return;
    }
    if (!stale && latest != null) {
      stale = true;
      onStaleChange.run();
    }
    long delay = limits.backoffMillis(failures++);
    if (!scheduler.isShutdown()) {
      scheduler.schedule(this::start, delay, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
