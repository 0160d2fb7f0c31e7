package dev.portolan.policy.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops the gRPC server so that proxies move to another replica instead of losing their streams
 * (docs/operations.md, "Shutdown and drain").
 *
 * <p>{@link Server#shutdown()} sends GOAWAY and closes the listening socket but lets calls run, and
 * Get, GetProfile and WatchPort streams never end on their own; {@link Server#shutdownNow()} resets
 * them with RST_STREAM(CANCEL), which a client reads as CANCELLED, not as a reason to reconnect. So
 * this interceptor tracks every call, and after the drain delay the calls still open are ended with
 * {@link #SHUTTING_DOWN}: UNAVAILABLE, the status a proxy answers by reconnecting (elsewhere: this
 * replica accepts no connection any more, and GOAWAY told the client so first). The ends are spread
 * over half of what is left of the drain period, so the other replicas see the proxies come back
 * over a second or two rather than in one burst.
 */
final class GrpcDrain implements ServerInterceptor {
  static final Status SHUTTING_DOWN =
      Status.UNAVAILABLE.withDescription("server shutting down, reconnect");
  private static final Logger log = LoggerFactory.getLogger(GrpcDrain.class);
  // Below this, ending calls in separate steps buys nothing.
  private static final long MIN_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final Set<DrainableCall<?, ?>> open = ConcurrentHashMap.newKeySet();
  private volatile boolean draining;

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    DrainableCall<Q, R> tracked = new DrainableCall<>(call);
    // Registered before the check: a call starting while the drain takes its snapshot is either
    // in the snapshot or sees the flag here (both are volatile accesses), never neither.
    open.add(tracked);
    if (draining) {
      open.remove(tracked);
      tracked.end(SHUTTING_DOWN);
      return new ServerCall.Listener<>() {};
    }
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(tracked, headers);
    } catch (RuntimeException | Error e) {
      open.remove(tracked);
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onComplete() {
        open.remove(tracked);
        super.onComplete();
      }

      @Override
      public void onCancel() {
        open.remove(tracked);
        super.onCancel();
      }
    };
  }

  /** Calls started and not yet ended. */
  int openCalls() {
    return open.size();
  }

  /**
   * GOAWAY, then {@code delay} for calls to end on their own, then UNAVAILABLE for the rest, then
   * the connections are closed; returns within {@code period} (plus at most a second to close what
   * did not go). Returns whether every call ended before the period ran out.
   */
  boolean drain(Server server, Duration delay, Duration period) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + period.toNanos();
    log.info(
        "gRPC drain: GOAWAY sent, {} calls open; streams still open in {} ms end with UNAVAILABLE",
        open.size(),
        delay.toMillis());
    server.shutdown();
    if (server.awaitTermination(delay.toNanos(), TimeUnit.NANOSECONDS)) {
      log.info("gRPC drain: every call ended on its own in {} ms", millisSince(start));
      return true;
    }
    draining = true;
    List<DrainableCall<?, ?>> calls = List.copyOf(open);
    long window = Math.max(0, deadline - System.nanoTime()) / 2;
    endSpread(calls, window);
    boolean drained =
        server.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    if (!drained) {
      // A peer that does not read cannot receive its trailers: close its connection.
      int left = open.size();
      server.shutdownNow();
      server.awaitTermination(1, TimeUnit.SECONDS);
      log.warn(
          "gRPC drain: {} calls still open after the drain period ({} ms): connections closed",
          left,
          period.toMillis());
    }
    log.info(
        "gRPC drain: {} calls ended with UNAVAILABLE; stopped in {} ms",
        calls.size(),
        millisSince(start));
    return drained;
  }

  private static void endSpread(List<DrainableCall<?, ?>> calls, long windowNanos)
      throws InterruptedException {
    int n = calls.size();
    int steps = (int) Math.max(1, Math.min(n, windowNanos / MIN_STEP_NANOS));
    long t0 = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      for (int j = (int) ((long) i * n / steps); j < (long) (i + 1) * n / steps; j++) {
        calls.get(j).end(SHUTTING_DOWN);
      }
      if (i + 1 < steps) {
        long next = t0 + windowNanos * (i + 1) / steps;
        TimeUnit.NANOSECONDS.sleep(next - System.nanoTime());
      }
    }
  }

  private static long millisSince(long start) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  /**
   * A call the drain can end from its own thread. A ServerCall is not thread-safe and the services
   * write to theirs from their pumps, so every write goes through one lock; once the drain has
   * ended the call, the service's later writes are dropped rather than thrown back at it (its
   * stream is over, and it learns so when the server stops).
   */
  private static final class DrainableCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
    private final Object lock = new Object();
    // Written under the lock; volatile for isReady, which does not take it.
    private volatile boolean endedByDrain;

    DrainableCall(ServerCall<Q, R> delegate) {
      super(delegate);
    }

    void end(Status status) {
      synchronized (lock) {
        if (endedByDrain) {
          return;
        }
        endedByDrain = true;
        try {
          delegate().close(status, new Metadata());
        } catch (IllegalStateException alreadyClosed) {
          // the service closed it first: nothing left to end
        }
      }
    }

    @Override
    public void sendHeaders(Metadata headers) {
      synchronized (lock) {
        if (!endedByDrain) {
          super.sendHeaders(headers);
        }
      }
    }

    @Override
    public void sendMessage(R message) {
      synchronized (lock) {
        if (!endedByDrain) {
          super.sendMessage(message);
        }
      }
    }

    @Override
    public void close(Status status, Metadata trailers) {
      synchronized (lock) {
        if (!endedByDrain) {
          super.close(status, trailers);
        }
      }
    }

    @Override
    public void request(int numMessages) {
      synchronized (lock) {
        if (!endedByDrain) {
          super.request(numMessages);
        }
      }
    }

    @Override
    public boolean isReady() {
      // Not under the lock: grpc-java lets any thread ask, and a pump asks before each write.
      return !endedByDrain && super.isReady();
    }
  }
}
