package dev.portolan.policy.model;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address as a value: comparable, hashable, parsed without any name lookup. IPv4
 * addresses use the low 32 bits of {@code lo}; an IPv4-mapped IPv6 literal ({@code ::ffff:a.b.c.d})
 * is the IPv4 address, as the JDK parses it.
 *
 * @param v6 whether this is an IPv6 address
 * @param hi the high 64 bits of an IPv6 address; 0 for IPv4
 * @param lo the low 64 bits of an IPv6 address, or the IPv4 address
 */
public record IpAddress(boolean v6, long hi, long lo) {
  public IpAddress {
    if (!v6 && (hi != 0 || (lo >>> 32) != 0)) {
      throw new IllegalArgumentException("an IPv4 address has 32 bits");
    }
  }

  /**
   * Parses a literal address.
   *
   * @throws IllegalArgumentException naming the text when it is not an IPv4 or IPv6 literal
   */
  public static IpAddress parse(String text) {
    String t = text.strip();
    if (!t.contains(":")) {
      return parseV4(text, t);
    }
    if (t.contains("%")) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IP address: zone ids are not");
    }
    try {
      // ofLiteral never consults DNS: a host name here is an error, not a lookup.
      return of(InetAddress.ofLiteral(t).getAddress());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IP address", e);
    }
  }

  /**
   * Exactly four decimal parts, as Kubernetes reads addresses: the JDK would also take the
   * historical short forms ({@code 10.1} for 10.0.0.1), which Kubernetes rejects.
   */
  private static IpAddress parseV4(String text, String t) {
    // By hand, without split or streams: the NetworkPolicy evaluation parses a client Pod's address
    // per class and per change, a thousand times per policy edit (docs/benchmarks.md).
    int dots = 0;
    for (int i = 0; i < t.length(); i++) {
      if (t.charAt(i) == '.') {
        dots++;
      }
    }
    if (dots != 3) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not an IP address: an IPv4 address has four parts");
    }
    long v = 0;
    int start = 0;
    for (int part = 0; part < 4; part++) {
      int end = t.indexOf('.', start);
      if (end < 0) {
        end = t.length();
      }
      int len = end - start;
      int b = 0;
      boolean digits = len > 0 && len <= 3;
      for (int i = start; digits && i < end; i++) {
        char c = t.charAt(i);
        digits = c >= '0' && c <= '9';
        b = b * 10 + (c - '0');
      }
      if (!digits) {
        throw new IllegalArgumentException(
            "\""
                + text
                + "\" is not an IP address: \""
                + t.substring(start, end)
                + "\" is not a number 0-255");
      }
      if (b > 255) {
        throw new IllegalArgumentException(
            "\"" + text + "\" is not an IP address: " + b + " exceeds 255");
      }
      v = v << 8 | b;
      start = end + 1;
    }
    return new IpAddress(false, 0, v);
  }

  /** The address of 4 or 16 bytes in network order. */
  public static IpAddress of(byte[] bytes) {
    if (bytes.length == 4) {
      return new IpAddress(false, 0, Integer.toUnsignedLong(word(bytes, 0, 4)));
    }
    if (bytes.length == 16) {
      return new IpAddress(
          true,
          (long) word(bytes, 0, 4) << 32 | Integer.toUnsignedLong(word(bytes, 4, 4)),
          (long) word(bytes, 8, 4) << 32 | Integer.toUnsignedLong(word(bytes, 12, 4)));
    }
    throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + bytes.length);
  }

  /** 32 or 128. */
  public int bits() {
    return v6 ? 128 : 32;
  }

  /** This address with every bit after the first {@code prefix} bits cleared. */
  public IpAddress masked(int prefix) {
    if (prefix < 0 || prefix > bits()) {
      throw new IllegalArgumentException("prefix " + prefix + " out of range 0-" + bits());
    }
    if (!v6) {
      long mask = prefix == 0 ? 0 : (0xFFFF_FFFFL << (32 - prefix)) & 0xFFFF_FFFFL;
      return new IpAddress(false, 0, lo & mask);
    }
    // Java shifts a long by (n mod 64), so the 0- and 64-bit masks are spelled out.
    long hiMask = prefix == 0 ? 0 : prefix >= 64 ? -1L : -1L << (64 - prefix);
    long loMask = prefix <= 64 ? 0 : -1L << (128 - prefix);
    return new IpAddress(true, hi & hiMask, lo & loMask);
  }

  public byte[] bytes() {
    byte[] out = new byte[v6 ? 16 : 4];
    if (v6) {
      put(out, 0, hi);
      put(out, 8, lo);
    } else {
      for (int i = 0; i < 4; i++) {
        out[i] = (byte) (lo >>> (24 - 8 * i));
      }
    }
    return out;
  }

  /** The JDK's textual form (IPv6 uncompressed, e.g. {@code fd00:0:0:0:0:0:0:1}). */
  @Override
  public String toString() {
    try {
      // getByAddress with raw bytes only wraps them; no lookup happens.
      return InetAddress.getByAddress(bytes()).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int word(byte[] b, int off, int len) {
    int v = 0;
    for (int i = off; i < off + len; i++) {
      v = v << 8 | (b[i] & 0xFF);
    }
    return v;
  }

  private static void put(byte[] out, int off, long v) {
    for (int i = 0; i < 8; i++) {
      out[off + i] = (byte) (v >>> (56 - 8 * i));
    }
  }
}
