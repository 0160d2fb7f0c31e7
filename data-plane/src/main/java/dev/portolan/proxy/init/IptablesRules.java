package dev.portolan.proxy.init;

import dev.portolan.policy.model.PortRange;
import dev.portolan.policy.model.PortSet;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code iptables-restore} input for a pod (table nat), as a pure function of the config.
 * Re-running replaces: the script re-declares (and so flushes) its own chains, and adds the jumps
 * from PREROUTING and OUTPUT only when the caller found them missing.
 */
public final class IptablesRules {
  public static final String INBOUND_CHAIN = "PROXY_INIT_REDIRECT";
  public static final String OUTBOUND_CHAIN = "PROXY_INIT_OUTPUT";

  /** iptables' multiport takes at most 15 ports, a range counting as two. */
  private static final int MULTIPORT_SLOTS = 15;

  private IptablesRules() {}

  /**
   * @param ipv4 rules for iptables (IPv4 subnets) or ip6tables (IPv6 subnets)
   * @param addJumps whether PREROUTING/OUTPUT still lack the jumps to Portolan's chains
   */
  public static String script(ProxyInitConfig c, boolean ipv4, boolean addJumps) {
    List<String> l = new ArrayList<>();
    l.add("*nat");
    l.add(":" + INBOUND_CHAIN + " - [0:0]");
    l.add(":" + OUTBOUND_CHAIN + " - [0:0]");

    for (String ports : multiport(ProxyInitConfig.ALWAYS_SKIPPED_INBOUND)) {
      l.add(rule(INBOUND_CHAIN, "-p tcp -m multiport --dports " + ports, "RETURN", "proxy-ports"));
    }
    for (String ports : multiport(c.skipInboundPorts())) {
      l.add(
          rule(
              INBOUND_CHAIN,
              "-p tcp -m multiport --dports " + ports,
              "RETURN",
              "skip-inbound-ports"));
    }
    for (Cidr s : subnets(c, ipv4)) {
      l.add(rule(INBOUND_CHAIN, "-s " + s, "RETURN", "skip-subnets"));
    }
    l.add(
        rule(
            INBOUND_CHAIN, "-p tcp", "REDIRECT --to-ports " + c.inboundPort(), "redirect-inbound"));

    l.add(rule(OUTBOUND_CHAIN, "-m owner --uid-owner " + c.proxyUid(), "RETURN", "proxy-uid"));
    l.add(rule(OUTBOUND_CHAIN, "-o lo", "RETURN", "loopback"));
    for (String ports : multiport(c.skipOutboundPorts())) {
      l.add(
          rule(
              OUTBOUND_CHAIN,
              "-p tcp -m multiport --dports " + ports,
              "RETURN",
              "skip-outbound-ports"));
    }
    for (Cidr s : subnets(c, ipv4)) {
      l.add(rule(OUTBOUND_CHAIN, "-d " + s, "RETURN", "skip-subnets"));
    }
    l.add(
        rule(
            OUTBOUND_CHAIN,
            "-p tcp",
            "REDIRECT --to-ports " + c.outboundPort(),
            "redirect-outbound"));

    if (addJumps) {
      l.add(rule("PREROUTING", "", INBOUND_CHAIN, "install-inbound"));
      l.add(rule("OUTPUT", "", OUTBOUND_CHAIN, "install-outbound"));
    }
    l.add("COMMIT");
    return String.join("\n", l) + "\n";
  }

  /** The rule text that proves a jump is installed, for {@code iptables -C}-style checks. */
  public static String jumpComment(String chain) {
    return chain.equals(INBOUND_CHAIN) ? "portolan/install-inbound" : "portolan/install-outbound";
  }

  private static List<Cidr> subnets(ProxyInitConfig c, boolean ipv4) {
    return c.skipSubnets().stream().filter(s -> s.isIpv4() == ipv4).toList();
  }

  private static String rule(String chain, String match, String target, String comment) {
    String m = match.isEmpty() ? "" : match + " ";
    return "-A "
        + chain
        + " "
        + m
        + "-m comment --comment \"portolan/"
        + comment
        + "\" -j "
        + target;
  }

  /** Port groups for multiport, each within its 15 slots. */
  static List<String> multiport(PortSet ports) {
    List<String> groups = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int slots = 0;
    for (PortRange r : ports.ranges()) {
      int need = r.lo() == r.hi() ? 1 : 2;
      if (slots + need > MULTIPORT_SLOTS) {
        groups.add(cur.toString());
        cur.setLength(0);
        slots = 0;
      }
      if (!cur.isEmpty()) {
        cur.append(',');
      }
      cur.append(r.lo() == r.hi() ? Integer.toString(r.lo()) : r.lo() + ":" + r.hi());
      slots += need;
    }
    if (!cur.isEmpty()) {
      groups.add(cur.toString());
    }
    return groups;
  }
}
