package dev.portolan.policy.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Install settings of inbound authorization: the default inbound policy, the networks that count as
 * "the cluster" for the {@code cluster-*} policies, and the networks the kubelet's HTTP probes are
 * admitted from (empty: no probe authorizations, as Linkerd's empty {@code probeNetworks}).
 */
public record AuthzSettings(
    DefaultInboundPolicy defaultPolicy, List<Cidr> clusterNetworks, List<Cidr> probeNetworks) {
  /** Linkerd's default {@code clusterNetworks}: the private and carrier-grade NAT ranges. */
  public static final String DEFAULT_CLUSTER_NETWORKS =
      "10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8";

  /** Linkerd's default {@code probeNetworks}: every address (the kubelet's is the node's). */
  public static final String DEFAULT_PROBE_NETWORKS = "0.0.0.0/0,::/0";

  public AuthzSettings {
    clusterNetworks = List.copyOf(clusterNetworks);
    probeNetworks = List.copyOf(probeNetworks);
    if (clusterNetworks.isEmpty()) {
      throw new IllegalArgumentException("clusterNetworks is empty: cluster-* policies admit none");
    }
  }

  /** Settings with Linkerd's default probe networks. */
  public AuthzSettings(DefaultInboundPolicy defaultPolicy, List<Cidr> clusterNetworks) {
    this(
        defaultPolicy,
        clusterNetworks,
        parseNetworks("portolan.inbound.probe-networks", DEFAULT_PROBE_NETWORKS));
  }

  public static AuthzSettings defaults() {
    return new AuthzSettings(
        DefaultInboundPolicy.ALL_UNAUTHENTICATED,
        parseNetworks("portolan.inbound.cluster-networks", DEFAULT_CLUSTER_NETWORKS));
  }

  /**
   * Parses the install settings.
   *
   * @throws IllegalArgumentException naming the setting, the token and why
   */
  public static AuthzSettings parse(String defaultPolicy, String clusterNetworks) {
    return parse(defaultPolicy, clusterNetworks, DEFAULT_PROBE_NETWORKS);
  }

  /**
   * Parses the install settings, with the probe networks.
   *
   * @throws IllegalArgumentException naming the setting, the token and why
   */
  public static AuthzSettings parse(
      String defaultPolicy, String clusterNetworks, String probeNetworks) {
    DefaultInboundPolicy p = DefaultInboundPolicy.parse(defaultPolicy);
    if (p == null) {
      throw new IllegalArgumentException(
          "portolan.inbound.default-policy \""
              + defaultPolicy
              + "\": "
              + DefaultInboundPolicy.invalidReason());
    }
    return new AuthzSettings(
        p,
        parseNetworks("portolan.inbound.cluster-networks", clusterNetworks),
        parseNetworks("portolan.inbound.probe-networks", probeNetworks));
  }

  private static List<Cidr> parseNetworks(String setting, String raw) {
    List<Cidr> out = new ArrayList<>();
    for (String t : raw.split(",")) {
      if (t.isBlank()) {
        continue;
      }
      try {
        out.add(Cidr.parse(t.strip()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(setting + ": " + e.getMessage(), e);
      }
    }
    return out;
  }
}
