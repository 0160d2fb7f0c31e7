package dev.portolan.policy.model;

/**
 * An IPv4 or IPv6 network in CIDR notation. Host bits written after the prefix are cleared ({@code
 * 10.0.0.7/24} is {@code 10.0.0.0/24}), as the Kubernetes API server's own parsing does.
 */
public record Cidr(IpAddress network, int prefix) {
  public Cidr {
    if (prefix < 0 || prefix > network.bits()) {
      throw new IllegalArgumentException(
          "prefix /" + prefix + " out of range for " + network + " (0-" + network.bits() + ")");
    }
    network = network.masked(prefix);
  }

  /**
   * Parses {@code address/prefix}.
   *
   * @throws IllegalArgumentException naming the text and what is wrong with it
   */
  public static Cidr parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a CIDR: no /prefix (write " + text + "/32 for one address)");
    }
    IpAddress address;
    try {
      address = IpAddress.parse(text.substring(0, slash));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("\"" + text + "\" is not a CIDR: " + e.getMessage(), e);
    }
    String p = text.substring(slash + 1).strip();
    if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a CIDR: prefix \"" + p + "\" is not a number");
    }
    int prefix = Integer.parseInt(p);
    if (prefix > address.bits()) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a CIDR: prefix /" + prefix + " exceeds " + address.bits());
    }
    return new Cidr(address, prefix);
  }

  public boolean contains(IpAddress a) {
    return a.v6() == network.v6() && a.masked(prefix).equals(network);
  }

  /** Whether every address of {@code other} is in this network. */
  public boolean contains(Cidr other) {
    return other.prefix >= prefix && contains(other.network);
  }

  @Override
  public String toString() {
    return network + "/" + prefix;
  }
}
