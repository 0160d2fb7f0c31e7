package dev.portolan.proxy.http;

import dev.portolan.proxy.metrics.Metrics;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The request metrics of one client connection (spec/data-plane.md §6), resolved once so the hot
 * path only increments. Used on the connection's event loop only.
 */
final class HttpMeters {
  private final Metrics metrics;
  private final String[] labels;
  private final LongAdder requests;
  private final Metrics.Histogram latency;
  private final Map<String, LongAdder> responses = new HashMap<>(4);

  HttpMeters(Metrics metrics, String direction, String target) {
    this.metrics = metrics;
    this.labels = Metrics.src(direction, target);
    this.requests = metrics.counter("request_total", labels);
    this.latency = metrics.histogram("response_latency_ms", labels);
  }

  void request() {
    requests.increment();
  }

  /** Time from the request head to the response head. */
  void latency(long startNanos) {
    latency.observe((System.nanoTime() - startNanos) / 1_000_000);
  }

  /** A finished response; failure for 5xx (and, for gRPC, a non-zero grpc-status). */
  void response(int status, boolean failure) {
    String key = failure ? status + "!" : Integer.toString(status);
    responses
        .computeIfAbsent(
            key,
            k ->
                metrics.counter(
                    "response_total",
                    Metrics.plus(
                        labels,
                        "status_code",
                        Integer.toString(status),
                        "classification",
                        failure ? "failure" : "success")))
        .increment();
  }
}
