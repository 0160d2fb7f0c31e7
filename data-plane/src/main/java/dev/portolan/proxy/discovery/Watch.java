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
  private final CompletableFuture<V> first = new CompletableFuture<>();
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

  /** Completes with the first value, or with null after {@code wait} if none has come. */
  CompletableFuture<V> firstWithin(Duration wait) {
    V v = latest;
    if (v != null) {
      return CompletableFuture.completedFuture(v);
    }
    return first
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
            first.complete(acc);
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
