package dev.portolan.policy.grpc;

import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.Subscription;
import dev.portolan.policy.index.TopicKey;
import dev.portolan.policy.index.Versioned;
import dev.portolan.policy.metrics.PortolanMetrics;
import dev.portolan.policy.metrics.StreamRegistry;
import dev.portolan.policy.resolve.BadRequestException;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Moves a topic's latest value onto one gRPC stream, with flow control and no queue.
 *
 * <p>Wake-ups (value changed, stream became ready) only mark the stream dirty; one drain at a time
 * (the {@code wip} counter serializes them) reads the topic's latest value and writes it if the
 * stream is ready. A stream that stops reading therefore accumulates nothing: when it is ready
 * again it gets one update, from what it last received to now.
 */
abstract class StreamPump<V, M> implements Runnable, StreamRegistry.OpenStream {
  private final String api;
  private final ServerCallStreamObserver<M> call;
  private final Executor executor;
  private final PortolanMetrics metrics;
  private final AtomicInteger wip = new AtomicInteger();
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile Subscription<V> subscription;
  private volatile boolean cancelled;
  private Runnable closeGauge = () -> {};
  private volatile Runnable onClose = () -> {};
  // Touched only inside drain (serialized).
  private long sentVersion = Long.MIN_VALUE;
  private boolean first = true;
  private volatile long lastSentVersion = -1;

  StreamPump(
      String api, ServerCallStreamObserver<M> call, Executor executor, PortolanMetrics metrics) {
    this.api = api;
    this.call = call;
    this.executor = executor;
    this.metrics = metrics;
  }

  /**
   * Messages that bring a subscriber from what it last received to {@code v.value()}; may be none.
   */
  abstract List<M> emit(Versioned<V> v, boolean first);

  /** Called instead of emit when a value means the stream must end (e.g. unknown Pod). */
  Status terminal(V value, boolean first) {
    return null;
  }

  final void start(Index index, TopicKey<V> key) {
    closeGauge = metrics.subscriberOpened(api);
    call.setOnCancelHandler(() -> {
      cancelled = true;
      finish();
    });
    call.setOnReadyHandler(this);
    Subscription<V> sub = index.subscribe(key, this);
    subscription = sub;
    if (finished.get()) {
      sub.close(); // cancelled while subscribing: close() above saw no subscription yet
    }
    run();
  }

  void onClose(Runnable r) {
    onClose = r;
  }

  @Override
  public long lastSentVersion() {
    return lastSentVersion;
  }

  @Override
  public boolean idle() {
    return wip.get() == 0;
  }

  @Override
  public boolean waitingOnFlowControl() {
    return !cancelled && !call.isReady();
  }

  @Override
  public String api() {
    return api;
  }

  @Override
  public final void run() {
    if (wip.getAndIncrement() == 0) {
      executor.execute(this::drain);
    }
  }

  private void drain() {
    do {
      try {
        drainOnce();
      } catch (RuntimeException e) {
        fail(Status.INTERNAL.withDescription(e.toString()).withCause(e));
      }
    } while (wip.decrementAndGet() != 0);
  }

  private void drainOnce() {
    Subscription<V> sub = subscription;
    if (sub == null || finished.get() || !call.isReady()) {
      return;
    }
    Versioned<V> v = sub.current();
    if (v == null || v.version() == sentVersion) {
      return;
    }
    sentVersion = v.version();
    if (v.error() != null) {
      Status status =
          v.error() instanceof BadRequestException
              ? Status.INVALID_ARGUMENT.withDescription(v.error().getMessage())
              : Status.INTERNAL.withDescription(v.error().toString());
      fail(status);
      return;
    }
    Status end = terminal(v.value(), first);
    if (end != null) {
      fail(end);
      return;
    }
    List<M> messages = emit(v, first);
    for (M m : messages) {
      call.onNext(m);
      // The first message answers the request; only later ones measure propagation.
      metrics.updateSent(api, first ? -1 : v.eventNanos());
    }
    if (!messages.isEmpty()) {
      first = false;
    }
    lastSentVersion = v.version();
  }

  private void fail(Status status) {
    if (finished.compareAndSet(false, true)) {
      close();
      if (!cancelled) {
        call.onError(status.asRuntimeException());
      }
    }
  }

  private void finish() {
    if (finished.compareAndSet(false, true)) {
      close();
    }
  }

  private void close() {
    Subscription<V> sub = subscription;
    if (sub != null) {
      sub.close();
    }
    closeGauge.run();
    onClose.run();
  }
}
