package dev.portolan.policy.grpc;

import dev.portolan.policy.metrics.PortolanMetrics;
import io.grpc.Attributes;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one connection may do to the gRPC port (docs/operations.md, Limits): hold at most {@code
 * max-streams-per-connection} open streams, open new ones at {@code new-streams-per-second} after a
 * burst, and send requests of at most {@code max-request-size} (enforced by the transport; counted
 * here). Each refusal answers RESOURCE_EXHAUSTED with a short message, counts in {@code
 * portolan_grpc_refused_total{reason}} and is logged at most once per interval per reason.
 *
 * <p>A transport filter gives each connection its own budget, kept in the transport's attributes,
 * which every call on it can read; the interceptor spends it.
 */
final class ConnectionLimits extends ServerTransportFilter implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(ConnectionLimits.class);
  private static final Attributes.Key<Budget> BUDGET =
      Attributes.Key.create("portolan.connection-budget");
  // How grpc-java words a request over maxInboundMessageSize (io.grpc.internal.MessageDeframer);
  // BoundedStreamsTest fails if a new version words it differently.
  private static final String OVERSIZE = "gRPC message exceeds maximum size";

  private final LimitsProperties limits;
  private final PortolanMetrics metrics;
  private final RepeatedWarning tooMany;
  private final RepeatedWarning tooFast;
  private final RepeatedWarning tooLarge;

  ConnectionLimits(LimitsProperties limits, PortolanMetrics metrics) {
    this.limits = limits;
    this.metrics = metrics;
    this.tooMany =
        new RepeatedWarning(
            log,
            "streams refused: more than "
                + limits.maxStreamsPerConnection()
                + " open on one connection",
            limits.warningInterval());
    this.tooFast =
        new RepeatedWarning(
            log,
            "streams refused: opened faster than "
                + limits.newStreamsPerSecond()
                + " per second on one connection",
            limits.warningInterval());
    this.tooLarge =
        new RepeatedWarning(
            log,
            "requests refused: larger than " + limits.maxRequestSize().toBytes() + " bytes",
            limits.warningInterval());
  }

  @Override
  public Attributes transportReady(Attributes transportAttrs) {
    Budget budget = new Budget(limits.newStreamsPerSecond(), limits.newStreamsBurst());
    return transportAttrs.toBuilder().set(BUDGET, budget).build();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Budget budget = call.getAttributes().get(BUDGET);
    if (budget == null) {
      return next.startCall(call, headers); // a transport without the filter (in-process)
    }
    if (!budget.take(System.nanoTime())) {
      return refuse(
          call,
          "stream-rate",
          tooFast,
          "too many new streams on this connection: at most "
              + limits.newStreamsPerSecond()
              + " per second after a burst of "
              + limits.newStreamsBurst());
    }
    if (budget.open.incrementAndGet() > limits.maxStreamsPerConnection()) {
      budget.open.decrementAndGet();
      return refuse(
          call,
          "streams-per-connection",
          tooMany,
          "too many open streams on this connection: at most " + limits.maxStreamsPerConnection());
    }
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(call, headers);
    } catch (RuntimeException e) {
      budget.open.decrementAndGet();
      throw e;
    }
    return new Release<>(listener, budget);
  }

  /** Counts requests the transport refused for their size (they never reach an interceptor). */
  ServerStreamTracer.Factory oversizeCounter() {
    ServerStreamTracer tracer =
        new ServerStreamTracer() {
          @Override
          public void streamClosed(Status status) {
            String d = status.getDescription();
            if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED
                && d != null
                && d.startsWith(OVERSIZE)) {
              metrics.refused("request-size");
              tooLarge.warn(() -> d);
            }
          }
        };
    return new ServerStreamTracer.Factory() {
      @Override
      public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        return tracer;
      }
    };
  }

  private <Q, R> ServerCall.Listener<Q> refuse(
      ServerCall<Q, R> call, String reason, RepeatedWarning warning, String message) {
    metrics.refused(reason);
    warning.warn(() ->
        call.getMethodDescriptor().getBareMethodName()
            + " from "
            + call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    call.close(Status.RESOURCE_EXHAUSTED.withDescription(message), new Metadata());
    return new ServerCall.Listener<>() {};
  }

  /** One connection's budget: a token bucket for new streams and the count of open ones. */
  static final class Budget {
    final AtomicInteger open = new AtomicInteger();
    private final double perNano;
    private final double burst;
    private double tokens;
    private long last;

    Budget(int perSecond, int burst) {
      this.perNano = perSecond / 1e9;
      this.burst = burst;
      this.tokens = burst;
      this.last = System.nanoTime();
    }

    synchronized boolean take(long now) {
      tokens = Math.min(burst, tokens + (now - last) * perNano);
      last = now;
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }
  }

  /** Gives the stream's slot back however the call ends. */
  private static final class Release<Q>
      extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final Budget budget;
    private final AtomicBoolean released = new AtomicBoolean();

    Release(ServerCall.Listener<Q> delegate, Budget budget) {
      super(delegate);
      this.budget = budget;
    }

    @Override
    public void onComplete() {
      release();
      super.onComplete();
    }

    @Override
    public void onCancel() {
      release();
      super.onCancel();
    }

    private void release() {
      if (released.compareAndSet(false, true)) {
        budget.open.decrementAndGet();
      }
    }
  }
}
