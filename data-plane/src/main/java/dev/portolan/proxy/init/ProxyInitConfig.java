package dev.portolan.proxy.init;

import dev.portolan.policy.model.ParsedPorts;
import dev.portolan.policy.model.PortListParser;
import dev.portolan.policy.model.PortSet;
import java.util.ArrayList;
import java.util.List;

/**
 * What proxy-init installs for one pod. Port lists use the one grammar
 * (docs/design/port-grammar.md), numbers and ranges only.
 */
public record ProxyInitConfig(
    int inboundPort,
    int outboundPort,
    int proxyUid,
    PortSet skipInboundPorts,
    PortSet skipOutboundPorts,
    List<Cidr> skipSubnets) {

  /** Ports the proxy itself serves that are never redirected inbound (admin, tap). */
  public static final PortSet ALWAYS_SKIPPED_INBOUND = PortSet.of(4190, 4191);

  public ProxyInitConfig {
    skipSubnets = List.copyOf(skipSubnets);
  }

  public static ProxyInitConfig defaults() {
    return new ProxyInitConfig(4143, 4140, 2102, PortSet.EMPTY, PortSet.EMPTY, List.of());
  }

  /** Parses a port-list flag; any invalid token is an error naming it. */
  public static PortSet ports(String flag, String raw) {
    ParsedPorts p = PortListParser.parse(raw);
    if (p.hasErrors()) {
      var t = p.invalid().getFirst();
      throw new IllegalArgumentException(
          flag + ": token " + t.position() + " '" + t.token() + "': " + t.reason());
    }
    return p.ports();
  }

  /** Parses a comma-separated CIDR list; any invalid token is an error naming it. */
  public static List<Cidr> subnets(String flag, String raw) {
    List<Cidr> out = new ArrayList<>();
    if (raw == null || raw.isBlank()) {
      return out;
    }
    for (String t : raw.split(",")) {
      if (t.isBlank()) {
        continue;
      }
      try {
        out.add(Cidr.parse(t));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(flag + ": " + e.getMessage());
      }
    }
    return out;
  }
}
