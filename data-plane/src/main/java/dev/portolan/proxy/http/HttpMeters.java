package dev.portolan.proxy.http;

import dev.portolan.proxy.metrics.Metrics;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The request metrics of one client connection (docs/design/admin-and-metrics.md), resolved once so
 * the hot path only increments. Used on the connection's event loop only.
 */
public final class HttpMeters {
  private final Metrics metrics;
  private final String[] labels;
  private final LongAdder requests;
  private final Metrics.Histogram latency;
  // Keyed by status << 1 | failure: no key to build per response.
  private final IntObjectMap<LongAdder> responses = new IntObjectHashMap<>(4);

  public HttpMeters(Metrics metrics, String direction, String target) {
    this.metrics = metrics;
    this.labels = Metrics.src(direction, target);
    this.requests = metrics.counter("request_total", labels);
    this.latency = metrics.histogram("response_latency_ms", labels);
  }

  public void request() {
    requests.increment();
  }

  /** Time from the request head to the response head. */
  public void latency(long startNanos) {
    latency.observe((System.nanoTime() - startNanos) / 1_000_000);
  }

  /** A finished response; failure for 5xx (and, for gRPC, a non-zero grpc-status). */
  public void response(int status, boolean failure) {
    int key = status << 1 | (failure ? 1 : 0);
    LongAdder a = responses.get(key);
    if (a == null) {
      a =
          metrics.counter(
              "response_total",
              Metrics.plus(
                  labels,
                  "status_code",
                  Integer.toString(status),
                  "classification",
                  failure ? "failure" : "success"));
      responses.put(key, a);
    }
    a.increment();
  }
}
