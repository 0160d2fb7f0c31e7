package dev.portolan.policy.config;

import dev.portolan.policy.model.AuthzSettings;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Install settings of inbound authorization ({@code portolan.inbound.*}; docs/identity.md, "Default
 * inbound policies and require-identity ports").
 *
 * @param defaultPolicy the default inbound policy of Pods whose own and Namespace's {@code
 *     config.linkerd.io/default-inbound-policy} is absent or invalid; Linkerd's default
 * @param clusterNetworks comma-separated CIDRs the {@code cluster-*} policies admit (Linkerd's
 *     {@code clusterNetworks} default)
 * @param probeNetworks comma-separated CIDRs the kubelet's HTTP probes are admitted from whatever
 *     the default policy (Linkerd's {@code probeNetworks} default: every address); empty: none
 */
@ConfigurationProperties("portolan.inbound")
public record InboundProperties(
    @DefaultValue("all-unauthenticated") String defaultPolicy,
    @DefaultValue(AuthzSettings.DEFAULT_CLUSTER_NETWORKS) String clusterNetworks,
    @DefaultValue(AuthzSettings.DEFAULT_PROBE_NETWORKS) String probeNetworks) {

  /**
   * The parsed settings; an invalid value stops the start with the setting, the token and why (an
   * install setting is not user data: no guessing).
   */
  public AuthzSettings settings() {
    return AuthzSettings.parse(defaultPolicy, clusterNetworks, probeNetworks);
  }
}
