package dev.portolan.policy.model;

/** An inclusive range of TCP ports, {@code 1 <= lo <= hi <= 65535}. */
public record PortRange(int lo, int hi) implements Comparable<PortRange> {
  public static final int MIN_PORT = 1;
  public static final int MAX_PORT = 65535;

  public PortRange {
    if (lo < MIN_PORT || hi > MAX_PORT || lo > hi) {
      throw new IllegalArgumentException("invalid port range " + lo + "-" + hi);
    }
  }

  public static PortRange of(int port) {
    return new PortRange(port, port);
  }

  public boolean contains(int port) {
    return port >= lo && port <= hi;
  }

  public int size() {
    return hi - lo + 1;
  }

  @Override
  public int compareTo(PortRange o) {
    return lo != o.lo ? Integer.compare(lo, o.lo) : Integer.compare(hi, o.hi);
  }

  @Override
  public String toString() {
    return lo == hi ? Integer.toString(lo) : lo + "-" + hi;
  }
}
