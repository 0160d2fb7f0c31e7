package dev.portolan.proxy.init;

import java.net.Inet4Address;
import java.net.InetAddress;

/** An IPv4 or IPv6 network in CIDR form, validated. */
public record Cidr(InetAddress address, int prefix) {
  public boolean isIpv4() {
    return address instanceof Inet4Address;
  }

  /**
   * Parses {@code a.b.c.d/n} or {@code x::y/n} (a bare address is a host route).
   *
   * @throws IllegalArgumentException with a message naming the token and the reason
   */
  public static Cidr parse(String token) {
    String t = token.strip();
    int slash = t.indexOf('/');
    String addr = slash < 0 ? t : t.substring(0, slash);
    InetAddress a;
    try {
      if (addr.isEmpty() || !(addr.indexOf(':') >= 0 || addr.matches("[0-9.]+"))) {
        throw new IllegalArgumentException();
      }
      a = InetAddress.ofLiteral(addr);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + token + "': not an IP address");
    }
    int max = a instanceof Inet4Address ? 32 : 128;
    int prefix = max;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(t.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + token + "': prefix is not a number");
      }
      if (prefix < 0 || prefix > max) {
        throw new IllegalArgumentException("'" + token + "': prefix must be 0-" + max);
      }
    }
    return new Cidr(a, prefix);
  }

  @Override
  public String toString() {
    return address.getHostAddress() + "/" + prefix;
  }
}
