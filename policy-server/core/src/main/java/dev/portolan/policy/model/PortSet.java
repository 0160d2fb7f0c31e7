package dev.portolan.policy.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.StringJoiner;

/**
 * An immutable set of ports kept as sorted, merged, non-adjacent intervals: {@code 1-65535} costs
 * one entry and membership is a binary search. Ranges are never expanded port by port.
 */
public final class PortSet {
  public static final PortSet EMPTY = new PortSet(new int[0], new int[0]);

  // Parallel arrays: range i is [los[i], his[i]]; sorted, disjoint and non-adjacent.
  private final int[] los;
  private final int[] his;

  private PortSet(int[] los, int[] his) {
    this.los = los;
    this.his = his;
  }

  public static PortSet of(int... ports) {
    List<PortRange> ranges = new ArrayList<>(ports.length);
    for (int p : ports) {
      ranges.add(PortRange.of(p));
    }
    return of(ranges);
  }

  public static PortSet of(Collection<PortRange> ranges) {
    if (ranges.isEmpty()) {
      return EMPTY;
    }
    PortRange[] sorted = ranges.toArray(PortRange[]::new);
    Arrays.sort(sorted);
    int[] lo = new int[sorted.length];
    int[] hi = new int[sorted.length];
    int n = 0;
    for (PortRange r : sorted) {
      // Merge overlapping and adjacent intervals (4,1-2,2-3 -> 1-4).
      if (n > 0 && r.lo() <= hi[n - 1] + 1) {
        hi[n - 1] = Math.max(hi[n - 1], r.hi());
      } else {
        lo[n] = r.lo();
        hi[n] = r.hi();
        n++;
      }
    }
    return new PortSet(Arrays.copyOf(lo, n), Arrays.copyOf(hi, n));
  }

  public boolean contains(int port) {
    int low = 0;
    int high = los.length - 1;
    while (low <= high) {
      int mid = (low + high) >>> 1;
      if (port < los[mid]) {
        high = mid - 1;
      } else if (port > his[mid]) {
        low = mid + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  public boolean isEmpty() {
    return los.length == 0;
  }

  /** Number of intervals (not ports). */
  public int rangeCount() {
    return los.length;
  }

  public List<PortRange> ranges() {
    List<PortRange> out = new ArrayList<>(los.length);
    for (int i = 0; i < los.length; i++) {
      out.add(new PortRange(los[i], his[i]));
    }
    return out;
  }

  public PortSet union(PortSet other) {
    if (other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    List<PortRange> all = new ArrayList<>(ranges());
    all.addAll(other.ranges());
    return of(all);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PortSet s && Arrays.equals(los, s.los) && Arrays.equals(his, s.his);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(los) + Arrays.hashCode(his);
  }

  /** The canonical text form, itself valid input to {@link PortListParser}: {@code 25,443-447}. */
  @Override
  public String toString() {
    StringJoiner j = new StringJoiner(",");
    for (int i = 0; i < los.length; i++) {
      j.add(los[i] == his[i] ? Integer.toString(los[i]) : los[i] + "-" + his[i]);
    }
    return j.toString();
  }
}
