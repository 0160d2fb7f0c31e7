package dev.portolan.policy.grpc;

import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.Subscription;
import dev.portolan.policy.index.TopicKey;
import dev.portolan.policy.index.Versioned;
import dev.portolan.policy.metrics.StreamRegistry;
import dev.portolan.policy.resolve.BadRequestException;
import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.ClientText;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Moves a topic's latest value onto one gRPC stream, with flow control and no queue
 * (docs/design/streams.md).
 *
 * <p>Wake-ups (value changed, stream became ready, the unread timer) only mark the stream dirty;
 * one drain at a time (the {@code wip} counter serializes them) reads the topic's latest value and
 * writes the next message towards it while the stream is ready. A message is at most about {@code
 * max-update-size} where the pump can choose, so what a client that stops reading pins on the
 * server is bounded: at most about two messages, never the whole answer. When it reads again it
 * gets the rest, then one update to the newest state.
 *
 * <p>A stream found not ready for longer than {@code unread-stream-timeout} is closed and reset
 * (which frees what the transport still holds for it). Any {@code Throwable} in a drain ends that
 * stream alone with INTERNAL.
 */
abstract class StreamPump<V, M> implements Runnable, StreamRegistry.OpenStream {
  private final String api;
  private final ServerCallStreamObserver<M> call;
  private final Pumps pumps;
  private final AtomicInteger wip = new AtomicInteger();
  private final AtomicBoolean finished = new AtomicBoolean();
  private volatile @Nullable Subscription<V> subscription;
  private volatile boolean cancelled;
  private volatile Runnable onClose = () -> {};
  private volatile Context.@Nullable CancellableContext context;
  private Runnable closeGauge = () -> {};
  private volatile long lastSentVersion = -1;
  // Touched only inside a drain (drains are serialized by wip).
  private long upToDate = Long.MIN_VALUE;
  private boolean answered;
  private boolean unwritable;
  private long unwritableSince;
  private volatile @Nullable ScheduledFuture<?> unreadCheck;

  StreamPump(String api, ServerCallStreamObserver<M> call, Pumps pumps) {
    this.api = api;
    this.call = call;
    this.pumps = pumps;
  }

  /**
   * The next message that brings the client towards {@code v} (from wherever the previous messages
   * left it), or null once it is up to date with {@code v}.
   */
  abstract @Nullable M next(Versioned<V> v);

  /** A status that ends the stream instead of sending {@code value} (e.g. unknown Pod), or null. */
  @Nullable Status terminal(V value, boolean first) {
    return null;
  }

  /** Starts pumping; call from the gRPC handler thread (the call's context is read there). */
  final void start(Index index, TopicKey<V> key, ClientClass client) {
    closeGauge = pumps.metrics().subscriberOpened(api);
    // Resetting the stream is the one way to free what the transport holds for a client that
    // never reads (a closing status waits behind that data).
    context = StreamResets.current();
    call.setOnReadyThreshold(pumps.maxUpdateBytes());
    call.setOnCancelHandler(() -> {
      cancelled = true;
      finish();
    });
    call.setOnReadyHandler(this);
    Subscription<V> sub = index.subscribe(key, client, this);
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
    return !cancelled && !finished.get() && !call.isReady();
  }

  @Override
  public String api() {
    return api;
  }

  @Override
  public final void run() {
    if (wip.getAndIncrement() == 0) {
      try {
        pumps.drains().execute(this::drain);
      } catch (RejectedExecutionException e) {
        wip.set(0); // the server is stopping
        finish();
      }
    }
  }

  private void drain() {
    do {
      try {
        drainOnce();
      } catch (Throwable t) {
        // An Error too: it must end this stream, not wedge its drain or reach the thread.
        failed(t);
      }
    } while (wip.decrementAndGet() != 0);
  }

  private void drainOnce() {
    Subscription<V> sub = subscription;
    if (sub == null || finished.get()) {
      return;
    }
    while (true) {
      if (!call.isReady()) {
        if (unreadTooLong()) {
          closeUnread();
        }
        return;
      }
      writable();
      Versioned<V> v = sub.current();
      if (v == null || v.version() == upToDate) {
        return;
      }
      RuntimeException error = v.error();
      if (error != null) {
        fail(statusOf(error), false);
        return;
      }
      V value = v.value();
      Status end = value == null ? null : terminal(value, !answered);
      if (end != null) {
        fail(end, false);
        return;
      }
      M m = next(v);
      if (m == null) {
        upToDate = v.version();
        lastSentVersion = v.version();
        answered = true;
        return;
      }
      call.onNext(m);
      // The first answer replies to the request; only later ones measure propagation.
      pumps.metrics().updateSent(api, answered ? v.eventNanos() : -1);
    }
  }

  /** Whether the stream has not been writable for the limit; arms the check on first sight. */
  private boolean unreadTooLong() {
    long now = System.nanoTime();
    long limit = pumps.limits().unreadStreamTimeout().toNanos();
    if (!unwritable) {
      unwritable = true;
      unwritableSince = now;
      // The timer only wakes the stream: the drain decides, serialized with the writes.
      unreadCheck = pumps.timers().schedule(this, limit, TimeUnit.NANOSECONDS);
      return false;
    }
    return now - unwritableSince >= limit;
  }

  private void writable() {
    if (unwritable) {
      unwritable = false;
      ScheduledFuture<?> f = unreadCheck;
      if (f != null) {
        f.cancel(false);
      }
      unreadCheck = null;
    }
  }

  private void closeUnread() {
    long seconds = pumps.limits().unreadStreamTimeout().toSeconds();
    pumps.metrics().streamClosed("not-reading");
    pumps.unread().warn(() -> api + " stream not read for " + seconds + "s");
    fail(
        Status.UNAVAILABLE.withDescription(
            "stream not read for " + seconds + "s: closed to free its buffers"),
        true);
  }

  private void failed(Throwable t) {
    if (finished.get()) {
      return;
    }
    pumps.metrics().streamClosed("internal-error");
    pumps.failures().warn(() -> api + " stream failed and was closed: " + t, t);
    fail(Status.INTERNAL.withDescription("internal error (see the policy-server log)"), true);
  }

  private static Status statusOf(RuntimeException error) {
    return error instanceof BadRequestException
        ? Status.INVALID_ARGUMENT.withDescription(
            ClientText.clip(Objects.requireNonNullElse(error.getMessage(), "bad request"), 512))
        : Status.INTERNAL.withDescription("internal error (see the policy-server log)");
  }

  /**
   * Ends the stream with {@code status}. With {@code reset}, also resets it: a client that does not
   * read would never take the status, which waits behind the data already queued for it.
   */
  private void fail(Status status, boolean reset) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    close();
    if (cancelled) {
      return;
    }
    try {
      call.onError(status.asRuntimeException());
    } catch (RuntimeException e) {
      reset = true; // the call is in no state to close: reset it
    }
    Context.CancellableContext c = context;
    if (reset && c != null) {
      StreamResets.reset(c, status.getDescription());
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
    ScheduledFuture<?> f = unreadCheck;
    if (f != null) {
      f.cancel(false);
    }
    closeGauge.run();
    onClose.run();
  }
}
