package dev.portolan.proxy.metrics;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The proxy's metrics: counters and gauges keyed by family and labels, rendered as Prometheus text.
 * Hot-path increments are a map lookup and a LongAdder.
 */
public final class Metrics {
  private final Map<String, Map<String, LongAdder>> families = new ConcurrentHashMap<>();
  private final Map<String, String> types = new ConcurrentHashMap<>();
  private final Map<String, Histogram> histograms = new ConcurrentHashMap<>();

  /** A counter (or up/down gauge) of {@code family} with the given label set, created on use. */
  private LongAdder meter(String family, String type, String... labelPairs) {
    types.putIfAbsent(family, type);
    return families
        .computeIfAbsent(family, f -> new ConcurrentHashMap<>())
        .computeIfAbsent(labels(labelPairs), l -> new LongAdder());
  }

  public LongAdder counter(String family, String... labelPairs) {
    return meter(family, "counter", labelPairs);
  }

  public LongAdder gauge(String family, String... labelPairs) {
    return meter(family, "gauge", labelPairs);
  }

  /**
   * The labels every connection and request metric carries (docs/design/admin-and-metrics.md):
   * direction, target_addr, {@code peer="src"} (counted on the connection the proxy accepted) and
   * {@code tls="disabled"} (no mTLS in the data path yet).
   */
  public static String[] src(String direction, String target) {
    return new String[] {
      "direction", direction, "target_addr", target, "peer", "src", "tls", "disabled"
    };
  }

  /**
   * The labels of a connection under mesh TLS: {@code tls="true"} and the peer's identity, {@code
   * server_id} (outbound, the endpoint's identity) or {@code client_id} (inbound, the client's
   * verified identity), as Linkerd's proxy labels them.
   */
  public static String[] src(String direction, String target, String peerIdKey, String peerId) {
    return new String[] {
      "direction", direction, "target_addr", target, "peer", "src", "tls", "true", peerIdKey, peerId
    };
  }

  /** The longest SNI kept as a label: a DNS name's limit; anything longer is cut to it. */
  static final int MAX_SNI = 253;

  /**
   * Counts a TLS connection from the app by the server name its ClientHello asked for
   * (docs/design/admin-and-metrics.md): a family of its own, so the connection families keep their
   * label sets. It carries {@code target_addr}, so it is evicted with the destination's other
   * series; the name is escaped like every label value and cut to {@value #MAX_SNI} characters, so
   * a hostile ClientHello cannot make a series of unbounded size.
   */
  public void tlsSni(String direction, String target, String sni) {
    String name = sni.length() > MAX_SNI ? sni.substring(0, MAX_SNI) : sni;
    counter("tcp_tls_sni_total", "direction", direction, "target_addr", target, "sni", name)
        .increment();
  }

  /** {@code base} followed by more label pairs. */
  public static String[] plus(String[] base, String... more) {
    String[] out = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, out, base.length, more.length);
    return out;
  }

  /** Latency buckets (ms) of {@code response_latency_ms}, as Linkerd's proxy uses. */
  public static final long[] LATENCY_BUCKETS_MS = {
    1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 3000, 4000, 5000, 10000,
    20000, 30000, 40000, 50000
  };

  /**
   * A histogram of {@code family} with the given labels: resolve it once (per connection) and
   * observe many times, with no lookup or allocation per observation. Observers of the same labels
   * share its buckets.
   */
  public Histogram histogram(String family, String... labelPairs) {
    return histograms.computeIfAbsent(
        family + labels(labelPairs), k -> newHistogram(family, labelPairs));
  }

  private Histogram newHistogram(String family, String... labelPairs) {
    // One observation increments one bucket; the cumulative Prometheus buckets (le="…") are sums
    // over these, taken when read: a request costs one increment, not one per bucket above it.
    LongAdder[] own = new LongAdder[LATENCY_BUCKETS_MS.length + 1];
    for (int i = 0; i < own.length; i++) {
      own[i] = new LongAdder();
    }
    Map<String, LongAdder> buckets =
        families.computeIfAbsent(family + "_bucket", f -> new ConcurrentHashMap<>());
    types.putIfAbsent(family + "_bucket", "histogram");
    for (int i = 0; i < own.length; i++) {
      String le = i < LATENCY_BUCKETS_MS.length ? Long.toString(LATENCY_BUCKETS_MS[i]) : "+Inf";
      buckets.put(labels(with(labelPairs, "le", le)), new UpTo(own, i));
    }
    return new Histogram(
        own,
        meter(family + "_sum", "histogram", labelPairs),
        meter(family + "_count", "histogram", labelPairs));
  }

  /** A cumulative bucket: read-only, the sum of the buckets up to and including its own. */
  private static final class UpTo extends LongAdder {
    private final LongAdder[] own;
    private final int last;

    UpTo(LongAdder[] own, int last) {
      this.own = own;
      this.last = last;
    }

    @Override
    public long sum() {
      long total = 0;
      for (int i = 0; i <= last; i++) {
        total += own[i].sum();
      }
      return total;
    }

    @Override
    public long longValue() {
      return sum();
    }
  }

  /** Buckets over {@link #LATENCY_BUCKETS_MS} (and +Inf), each counting only its own range. */
  public record Histogram(LongAdder[] buckets, LongAdder sum, LongAdder count) {
    public void observe(long valueMs) {
      int i = java.util.Arrays.binarySearch(LATENCY_BUCKETS_MS, valueMs);
      buckets[i >= 0 ? i : -i - 1].increment(); // the first bucket whose bound is >= valueMs
      sum.add(valueMs);
      count.increment();
    }
  }

  private static String[] with(String[] pairs, String k, String v) {
    String[] out = java.util.Arrays.copyOf(pairs, pairs.length + 2);
    out[pairs.length] = k;
    out[pairs.length + 1] = v;
    return out;
  }

  /** Per {@code target_addr}: its series' total when last seen to change, and since when. */
  private record Activity(long total, long sinceNanos) {}

  private final Map<String, Activity> activity = new ConcurrentHashMap<>();

  /**
   * Drops every series of a {@code target_addr} that has had no open connection and no change in
   * any of its series for {@code idle} (docs/proxy.md, "Eviction and caps"): the series count stays
   * bounded by the destinations in use. Its counters start again from 0 if it comes back, which
   * Prometheus reads as a counter reset. Called periodically, from one thread; returns how many
   * targets it dropped.
   */
  public int evictIdleTargets(Duration idle) {
    long now = System.nanoTime();
    Map<String, long[]> seen = new HashMap<>(); // target -> {sum of all series, open connections}
    for (var f : families.entrySet()) {
      boolean open = f.getKey().equals("tcp_open_connections");
      for (var e : f.getValue().entrySet()) {
        String t = targetOf(e.getKey());
        if (t != null) {
          long v = e.getValue().sum();
          long[] acc = seen.computeIfAbsent(t, x -> new long[2]);
          acc[0] += v;
          if (open) {
            acc[1] += v;
          }
        }
      }
    }
    Set<String> gone = new HashSet<>();
    for (var e : seen.entrySet()) {
      long total = e.getValue()[0];
      Activity a = activity.get(e.getKey());
      if (a == null || a.total() != total || e.getValue()[1] > 0) {
        activity.put(e.getKey(), new Activity(total, now));
      } else if (now - a.sinceNanos() >= idle.toNanos()) {
        gone.add(e.getKey());
      }
    }
    activity.keySet().retainAll(seen.keySet());
    if (gone.isEmpty()) {
      return 0;
    }
    activity.keySet().removeAll(gone);
    for (var f : families.values()) {
      f.keySet().removeIf(k -> gone.contains(targetOf(k)));
    }
    histograms.keySet().removeIf(k -> gone.contains(targetOf(k)));
    return gone.size();
  }

  /** The {@code target_addr} label of a rendered label set, or null. */
  static @Nullable String targetOf(String labels) {
    int i = labels.indexOf(TARGET);
    if (i < 0) {
      return null;
    }
    int from = i + TARGET.length();
    int to = labels.indexOf('"', from);
    return to < 0 ? null : labels.substring(from, to);
  }

  private static final String TARGET = "target_addr=\"";

  /** How many series exist (all families), for tests and the eviction's own check. */
  public int seriesCount() {
    int n = 0;
    for (var f : families.values()) {
      n += f.size();
    }
    return n;
  }

  /** The current value, for tests and readiness; 0 when never touched. */
  public long value(String family, String... labelPairs) {
    Map<String, LongAdder> f = families.get(family);
    LongAdder a = f == null ? null : f.get(labels(labelPairs));
    return a == null ? 0 : a.sum();
  }

  /** Sum over all label sets containing every given pair. */
  public long sum(String family, String... labelPairs) {
    Map<String, LongAdder> f = families.get(family);
    if (f == null) {
      return 0;
    }
    long total = 0;
    outer:
    for (var e : f.entrySet()) {
      for (int i = 0; i < labelPairs.length; i += 2) {
        if (!e.getKey().contains(labelPairs[i] + "=\"" + escape(labelPairs[i + 1]) + "\"")) {
          continue outer;
        }
      }
      total += e.getValue().sum();
    }
    return total;
  }

  public String render() {
    StringBuilder out = new StringBuilder();
    for (var f : new TreeMap<>(families).entrySet()) {
      out.append("# TYPE ")
          .append(f.getKey())
          .append(' ')
          .append(types.get(f.getKey()))
          .append('\n');
      for (var e : new TreeMap<>(f.getValue()).entrySet()) {
        out.append(f.getKey())
            .append(e.getKey())
            .append(' ')
            .append(e.getValue().sum())
            .append('\n');
      }
    }
    return out.toString();
  }

  static String labels(String... pairs) {
    if (pairs.length == 0) {
      return "";
    }
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < pairs.length; i += 2) {
      if (i > 0) {
        b.append(',');
      }
      b.append(pairs[i]).append("=\"").append(escape(pairs[i + 1])).append('"');
    }
    return b.append('}').toString();
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
