package dev.portolan.policy.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Install settings of inbound authorization: the default inbound policy and the networks that count
 * as "the cluster" for the {@code cluster-*} policies.
 */
public record AuthzSettings(DefaultInboundPolicy defaultPolicy, List<Cidr> clusterNetworks) {
  /** Linkerd's default {@code clusterNetworks}: the private and carrier-grade NAT ranges. */
  public static final String DEFAULT_CLUSTER_NETWORKS =
      "10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8";

  public AuthzSettings {
    clusterNetworks = List.copyOf(clusterNetworks);
    if (clusterNetworks.isEmpty()) {
      throw new IllegalArgumentException("clusterNetworks is empty: cluster-* policies admit none");
    }
  }

  public static AuthzSettings defaults() {
    return new AuthzSettings(
        DefaultInboundPolicy.ALL_UNAUTHENTICATED, parseNetworks(DEFAULT_CLUSTER_NETWORKS));
  }

  /**
   * Parses the install settings.
   *
   * @throws IllegalArgumentException naming the setting, the token and why
   */
  public static AuthzSettings parse(String defaultPolicy, String clusterNetworks) {
    DefaultInboundPolicy p = DefaultInboundPolicy.parse(defaultPolicy);
    if (p == null) {
      throw new IllegalArgumentException(
          "portolan.inbound.default-policy \""
              + defaultPolicy
              + "\": "
              + DefaultInboundPolicy.invalidReason());
    }
    return new AuthzSettings(p, parseNetworks(clusterNetworks));
  }

  private static List<Cidr> parseNetworks(String raw) {
    List<Cidr> out = new ArrayList<>();
    for (String t : raw.split(",")) {
      if (t.isBlank()) {
        continue;
      }
      try {
        out.add(Cidr.parse(t.strip()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "portolan.inbound.cluster-networks: " + e.getMessage(), e);
      }
    }
    return out;
  }
}
