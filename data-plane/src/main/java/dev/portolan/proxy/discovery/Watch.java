package dev.portolan.proxy.discovery;

import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * One long-lived discovery stream: keeps the latest value, reconnects with jittered exponential
 * backoff when the stream ends, and keeps serving the last known value (marked stale) meanwhile.
 *
 * @param <M> stream message type
 * @param <V> the value derived from the messages so far
 */
final class Watch<M, V> {
  private final String name;
  private final Consumer<StreamObserver<M>> open;
  private final BiFunction<V, M, V> fold;
  private final V initial;
  private final ScheduledExecutorService scheduler;
  private final Runnable onStaleChange;
  // Completes on the first message or the first failure: nobody waits on a control plane that is
  // known to be unreachable; they get the fallback (or the last known value) at once.
  private final CompletableFuture<Void> settled = new CompletableFuture<>();
  private volatile V latest;
  private volatile boolean stale;
  private int failures;

  Watch(
      String name,
      Consumer<StreamObserver<M>> open,
      V initial,
      BiFunction<V, M, V> fold,
      ScheduledExecutorService scheduler,
      Runnable onStaleChange) {
    this.name = name;
    this.open = open;
    this.initial = initial;
    this.fold = fold;
    this.scheduler = scheduler;
    this.onStaleChange = onStaleChange;
    start();
  }

  /** The latest value, or null before the first message. */
  V latest() {
    return latest;
  }

  boolean stale() {
    return stale;
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
    open.accept(
        new StreamObserver<>() {
          // A reconnected stream starts again from its first message.
          private V acc = initial;

          @Override
          public void onNext(M m) {
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
          public void onError(Throwable t) {
            retry();
          }

          @Override
          public void onCompleted() {
            retry();
          }
        });
  }

  private void retry() {
    settled.complete(null);
    if (!stale && latest != null) {
      stale = true;
      onStaleChange.run();
    }
    long base = Math.min(5_000, 100L << Math.min(failures++, 6));
    long delay = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
    if (!scheduler.isShutdown()) {
      scheduler.schedule(this::start, delay, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
