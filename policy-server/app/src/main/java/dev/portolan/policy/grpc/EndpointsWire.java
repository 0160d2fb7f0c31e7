package dev.portolan.policy.grpc;

import dev.portolan.api.destination.AddrSet;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.api.destination.WeightedAddrSet;
import dev.portolan.api.net.TcpAddress;
import dev.portolan.policy.resolve.Endpoint;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.Overlay;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * An endpoint set on the wire: every address with its {@code WeightedAddr}, in the set's order.
 * Built once per topic value ({@link WireCache}) and shared read-only by every Get stream of the
 * topic; what a client class is told differently is a {@link View} that overrides only the
 * addresses its overlay names.
 *
 * <p>The work of a change is done once, not once per stream: an endpoint equal to the previous
 * value's keeps its translation, and the difference between two views (a {@link Delta}) is computed
 * by the first stream that needs it and shared by the others.
 */
final class EndpointsWire {
  private static final AtomicLong IDS = new AtomicLong();
  private static final int DELTAS_KEPT = 4;

  /** What a Get stream sends for one value as one class sees it. Shared; never modified. */
  abstract static sealed class View permits Base, Overridden {
    static final View EMPTY = new EndpointsWire(EndpointSet.UNKNOWN, null).base;

    // Identifies this view in other views' delta caches without keeping it alive.
    private final long id = IDS.incrementAndGet();
    private final long[] deltaFrom = new long[DELTAS_KEPT];
    private final Delta[] deltas = new Delta[DELTAS_KEPT];
    private int nextDelta;

    abstract boolean exists();

    abstract Map<String, String> labels();

    abstract int size();

    abstract String address(int i);

    abstract WeightedAddr addr(int i);

    /** The position of {@code address}, or -1 when the set does not have it. */
    abstract int indexOf(String address);

    /** What takes a client from {@code from} to this view; shared by the streams that need it. */
    final synchronized Delta deltaFrom(View from) {
      for (int i = 0; i < DELTAS_KEPT; i++) {
        if (deltas[i] != null && deltaFrom[i] == from.id) {
          return deltas[i];
        }
      }
      Delta d = Delta.between(from, this);
      deltaFrom[nextDelta] = from.id;
      deltas[nextDelta] = d;
      nextDelta = (nextDelta + 1) % DELTAS_KEPT;
      return d;
    }
  }

  /**
   * The positions to remove (in the old view) and to add (in the new view: new or changed
   * addresses), and the messages that carry them. Holds indexes and messages, never the views.
   *
   * <p>The messages are built and encoded once, by the first stream that takes this step, and
   * written as they are by every other: a change that reaches a thousand streams of one destination
   * builds and encodes one {@code remove} and one {@code add}, not a thousand of each.
   */
  static final class Delta {
    private static final int PER_ADDRESS_OVERHEAD = 4; // field tag and length prefix
    private final int[] removed;
    private final int[] added;
    private volatile Encoded<Update> @Nullable [] messages;

    private Delta(int[] removed, int[] added) {
      this.removed = removed;
      this.added = added;
    }

    static Delta between(View from, View to) {
      int[] removed = new int[from.size()];
      int r = 0;
      for (int i = 0; i < from.size(); i++) {
        if (to.indexOf(from.address(i)) < 0) {
          removed[r++] = i;
        }
      }
      int[] added = new int[to.size()];
      int a = 0;
      for (int j = 0; j < to.size(); j++) {
        int k = from.indexOf(to.address(j));
        // Unchanged endpoints share their message (see the constructor): mostly a reference test.
        if (k < 0 || !to.addr(j).equals(from.addr(k))) {
          added[a++] = j;
        }
      }
      return new Delta(Arrays.copyOf(removed, r), Arrays.copyOf(added, a));
    }

    /**
     * The removes, then the adds, that take a client from {@code from} to {@code to} (the views
     * this delta was computed between), each message at most about {@code maxBytes}.
     */
    Encoded<Update>[] messages(View from, View to, int maxBytes) {
      Encoded<Update>[] m = messages;
      if (m == null) {
        synchronized (this) {
          m = messages;
          if (m == null) {
            m = build(from, to, maxBytes);
            messages = m;
          }
        }
      }
      return m;
    }

    @SuppressWarnings("unchecked")
    private Encoded<Update>[] build(View from, View to, int maxBytes) {
      List<Encoded<Update>> out = new ArrayList<>();
      AddrSet.Builder remove = null;
      int bytes = 0;
      for (int i : removed) {
        TcpAddress addr = from.addr(i).getAddr();
        int size = addr.getSerializedSize() + PER_ADDRESS_OVERHEAD;
        if (remove != null && bytes + size > maxBytes) {
          out.add(new Encoded<>(Update.newBuilder().setRemove(remove).build()));
          remove = null;
        }
        if (remove == null) {
          remove = AddrSet.newBuilder();
          bytes = 0;
        }
        remove.addAddrs(addr);
        bytes += size;
      }
      if (remove != null) {
        out.add(new Encoded<>(Update.newBuilder().setRemove(remove).build()));
      }
      WeightedAddrSet.Builder add = null;
      for (int j : added) {
        WeightedAddr a = to.addr(j);
        int size = a.getSerializedSize() + PER_ADDRESS_OVERHEAD;
        if (add != null && bytes + size > maxBytes) {
          out.add(new Encoded<>(Update.newBuilder().setAdd(add).build()));
          add = null;
        }
        if (add == null) {
          add = WeightedAddrSet.newBuilder().putAllMetricLabels(to.labels());
          bytes = 0;
        }
        add.addAddrs(a);
        bytes += size;
      }
      if (add != null) {
        out.add(new Encoded<>(Update.newBuilder().setAdd(add).build()));
      }
      return out.toArray(Encoded[]::new);
    }
  }

  private final EndpointSet set;
  private final String[] addresses;
  private final WeightedAddr[] addrs;
  private final Map<String, Integer> index;
  private final Base base = new Base();
  private final ConcurrentHashMap<Overlay, View> overlaid = new ConcurrentHashMap<>();

  /**
   * Translates {@code set}, reusing {@code previous}'s messages for the endpoints that are equal.
   */
  EndpointsWire(EndpointSet set, @Nullable EndpointsWire previous) {
    this.set = set;
    List<Endpoint> endpoints = set.endpoints();
    int n = endpoints.size();
    addresses = new String[n];
    addrs = new WeightedAddr[n];
    index = HashMap.newHashMap(n);
    for (int i = 0; i < n; i++) {
      Endpoint e = endpoints.get(i);
      addresses[i] = e.address();
      int before = previous == null ? -1 : previous.base.indexOf(addresses[i]);
      addrs[i] =
          before >= 0 && previous != null && previous.set.endpoints().get(before).equals(e)
              ? previous.addrs[before]
              : Translator.weightedAddr(e);
      index.put(addresses[i], i);
    }
  }

  View base() {
    return base;
  }

  /** The set as a class with {@code overlay} sees it; built once per overlay. */
  View view(Overlay overlay) {
    return overlay.isNone() ? base : overlaid.computeIfAbsent(overlay, this::overlay);
  }

  private View overlay(Overlay overlay) {
    Map<String, WeightedAddr> overrides = new HashMap<>();
    for (Endpoint e : set.endpoints()) {
      Endpoint seen = overlay.apply(e);
      if (seen != e) {
        overrides.put(seen.address(), Translator.weightedAddr(seen));
      }
    }
    return overrides.isEmpty() ? base : new Overridden(Map.copyOf(overrides));
  }

  private final class Base extends View {
    @Override
    boolean exists() {
      return set.exists();
    }

    @Override
    Map<String, String> labels() {
      return set.labels();
    }

    @Override
    int size() {
      return addresses.length;
    }

    @Override
    String address(int i) {
      return addresses[i];
    }

    @Override
    WeightedAddr addr(int i) {
      return addrs[i];
    }

    @Override
    int indexOf(String address) {
      Integer i = index.get(address);
      return i == null ? -1 : i;
    }
  }

  /** The base with a few addresses told something else; holds only those. */
  private final class Overridden extends View {
    private final Map<String, WeightedAddr> overrides;

    Overridden(Map<String, WeightedAddr> overrides) {
      this.overrides = overrides;
    }

    @Override
    boolean exists() {
      return set.exists();
    }

    @Override
    Map<String, String> labels() {
      return set.labels();
    }

    @Override
    int size() {
      return addresses.length;
    }

    @Override
    String address(int i) {
      return addresses[i];
    }

    @Override
    WeightedAddr addr(int i) {
      WeightedAddr o = overrides.get(addresses[i]);
      return o != null ? o : addrs[i];
    }

    @Override
    int indexOf(String address) {
      return base.indexOf(address);
    }
  }
}
