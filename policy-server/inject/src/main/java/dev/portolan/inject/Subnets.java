package dev.portolan.inject;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code skip-subnets} list: comma-separated IPv4 or IPv6 networks in CIDR form, checked as
 * proxy-init checks them (docs/proxy.md), so a value the injector passes on never stops the init
 * container. Like the port grammar, a bad token is dropped alone and the rest kept.
 */
final class Subnets {
  private Subnets() {}

  /**
   * @param valid the networks, normalised ({@code 10.0.0.0/8}; a bare address gets its host prefix)
   * @param invalid one line per dropped token: {@code token 2 'x': why}
   */
  record Parsed(List<String> valid, List<String> invalid) {
    Parsed {
      valid = List.copyOf(valid);
      invalid = List.copyOf(invalid);
    }
  }

  static Parsed parse(String raw) {
    List<String> valid = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    if (raw.isBlank()) {
      return new Parsed(valid, invalid);
    }
    String[] tokens = raw.split(",", -1);
    for (int i = 0; i < tokens.length; i++) {
      String t = tokens[i].strip();
      if (t.isEmpty()) {
        continue;
      }
      String why = check(t, valid);
      if (why != null) {
        invalid.add("token " + (i + 1) + " '" + t + "': " + why);
      }
    }
    return new Parsed(valid, invalid);
  }

  /** Adds the normalised network to {@code out}; returns why it is invalid, or null. */
  private static @org.jspecify.annotations.Nullable String check(String token, List<String> out) {
    int slash = token.indexOf('/');
    String addr = slash < 0 ? token : token.substring(0, slash);
    // InetAddress.ofLiteral never resolves names, but it accepts forms such as "1" or "0x1":
    // only dotted digits (IPv4) or anything with a colon (IPv6) is tried.
    if (addr.isEmpty() || !(addr.indexOf(':') >= 0 || addr.matches("[0-9]+(\\.[0-9]+){3}"))) {
      return "not an IP address";
    }
    InetAddress a;
    try {
      a = InetAddress.ofLiteral(addr);
    } catch (IllegalArgumentException e) {
      return "not an IP address";
    }
    int max = a instanceof Inet4Address ? 32 : 128;
    int prefix = max;
    if (slash >= 0) {
      String p = token.substring(slash + 1);
      if (!p.matches("[0-9]{1,3}")) {
        return "prefix '" + p + "' is not a number";
      }
      prefix = Integer.parseInt(p);
      if (prefix > max) {
        return "prefix must be 0-" + max;
      }
    }
    out.add(a.getHostAddress() + "/" + prefix);
    return null;
  }
}
