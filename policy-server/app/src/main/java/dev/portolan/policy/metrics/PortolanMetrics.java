package dev.portolan.policy.metrics;

import dev.portolan.policy.index.ChangeSet;
import dev.portolan.policy.index.IndexObserver;
import dev.portolan.policy.index.Snapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import org.springframework.stereotype.Component;

/**
 * Portolan's own meters (Prometheus names in brackets): subscribers per API (portolan_subscribers),
 * messages sent (portolan_updates_sent_total), propagation latency from source event to subscriber
 * write (portolan_propagation_latency_seconds), index sizes (portolan_index_objects), batches
 * applied (portolan_index_batches_total), Destination requests with an unreadable context token
 * (portolan_context_token_errors_total), streams and requests the gRPC port refused by a limit
 * (portolan_grpc_refused_total{reason}) and streams it closed (portolan_grpc_closed_total{reason}).
 */
@Component
public class PortolanMetrics {
  private final MeterRegistry registry;
  private final Map<String, AtomicInteger> subscribers = new ConcurrentHashMap<>();
  private final Map<String, Counter> sent = new ConcurrentHashMap<>();
  private final Map<String, Counter> refused = new ConcurrentHashMap<>();
  private final Map<String, Counter> closed = new ConcurrentHashMap<>();
  private final Timer propagation;
  private final Counter batches;
  private final Counter changes;
  private final Counter badContextTokens;
  private final AtomicReference<Snapshot.Sizes> sizes =
      new AtomicReference<>(Snapshot.EMPTY.sizes());

  public PortolanMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.propagation =
        Timer.builder("portolan.propagation.latency")
            .description("Source event observed → update written to a subscriber")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    this.batches = Counter.builder("portolan.index.batches").register(registry);
    this.changes = Counter.builder("portolan.index.changes").register(registry);
    this.badContextTokens =
        Counter.builder("portolan.context.token.errors")
            .description("Destination requests with an unreadable context token")
            .register(registry);
    size("namespaces", Snapshot.Sizes::namespaces);
    size("pods", Snapshot.Sizes::pods);
    size("services", Snapshot.Sizes::services);
    size("endpointslices", Snapshot.Sizes::endpointSlices);
    size("servers", Snapshot.Sizes::servers);
    size("networkpolicies", Snapshot.Sizes::networkPolicies);
  }

  private void size(String kind, ToDoubleFunction<Snapshot.Sizes> f) {
    Gauge.builder("portolan.index.objects", sizes, r -> f.applyAsDouble(r.get()))
        .tag("kind", kind)
        .description("Objects in the index")
        .register(registry);
  }

  public IndexObserver indexObserver() {
    return new IndexObserver() {
      @Override
      public void batchApplied(int count, int recomputed, int changed, long nanos) {
        batches.increment();
        changes.increment(count);
      }

      @Override
      public void snapshotPublished(Snapshot snapshot, ChangeSet changes) {
        sizes.set(snapshot.sizes());
      }
    };
  }

  /** A stream of {@code api} opened; returns the matching close action. */
  public Runnable subscriberOpened(String api) {
    AtomicInteger n =
        subscribers.computeIfAbsent(
            api,
            a -> {
              AtomicInteger g = new AtomicInteger();
              Gauge.builder("portolan.subscribers", g, AtomicInteger::get)
                  .tag("api", a)
                  .description("Open streams")
                  .register(registry);
              return g;
            });
    n.incrementAndGet();
    return n::decrementAndGet;
  }

  /**
   * One message written to a subscriber of {@code api}, for a value produced by a source event
   * observed at {@code eventNanos} ({@link System#nanoTime()}), or -1 to skip the latency.
   */
  public void updateSent(String api, long eventNanos) {
    sent.computeIfAbsent(
            api,
            a ->
                Counter.builder("portolan.updates.sent")
                    .tag("api", a)
                    .description("Messages written to streams")
                    .register(registry))
        .increment();
    if (eventNanos != -1) {
      propagation.record(System.nanoTime() - eventNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** A Destination request whose context token could not be read (the client counts as unknown). */
  public void contextTokenUnreadable() {
    badContextTokens.increment();
  }

  /**
   * A Destination request from a client the NetworkPolicy-aware rewrite cannot place (it is told to
   * rewrite): {@code reason} is {@code no-token}, {@code unreadable}, {@code no-pod} (a token
   * without a Pod) or {@code pod-not-found} (docs/networkpolicy.md).
   */
  public void unknownClient(String reason) {
    Counter.builder("portolan.networkpolicy.unknown.clients")
        .description("Destination requests from clients NetworkPolicies cannot be evaluated for")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  /**
   * A stream or request refused by a limit of the gRPC port: {@code streams-per-connection}, {@code
   * stream-rate} or {@code request-size} (docs/operations.md, Limits).
   */
  public void refused(String reason) {
    refused
        .computeIfAbsent(
            reason,
            r ->
                Counter.builder("portolan.grpc.refused")
                    .tag("reason", r)
                    .description("Streams and requests refused by a limit of the gRPC port")
                    .register(registry))
        .increment();
  }

  /**
   * A stream the server closed: {@code not-reading} (its client did not read for the limit) or
   * {@code internal-error} (its pump failed).
   */
  public void streamClosed(String reason) {
    closed
        .computeIfAbsent(
            reason,
            r ->
                Counter.builder("portolan.grpc.closed")
                    .tag("reason", r)
                    .description("Streams the server closed")
                    .register(registry))
        .increment();
  }

  public int subscribers(String api) {
    AtomicInteger n = subscribers.get(api);
    return n == null ? 0 : n.get();
  }
}
