package dev.portolan.policy;

import dev.portolan.policy.config.InboundProperties;
import dev.portolan.policy.config.PortolanProperties;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.IndexObserver;
import dev.portolan.policy.metrics.PortolanMetrics;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.PortListParser;
import dev.portolan.policy.networkpolicy.NetworkPolicyConflicts;
import dev.portolan.policy.networkpolicy.NetworkPolicyProperties;
import dev.portolan.policy.resolve.NetworkPolicyTransport;
import dev.portolan.policy.resolve.OpaqueTransportPolicy;
import dev.portolan.policy.resolve.Resolver;
import dev.portolan.policy.source.ShadowedServers;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the pure core (settings, resolver, index) into Spring. */
@Configuration(proxyBeanMethods = false)
public class CoreConfiguration {

  @Bean
  MeshSettings meshSettings(PortolanProperties p) {
    var parsed = PortListParser.parse(p.defaultOpaquePorts());
    if (parsed.hasErrors()) {
      // An install setting is not user data: refuse to start rather than guess.
      throw new IllegalArgumentException(
          "portolan.default-opaque-ports='" + p.defaultOpaquePorts() + "': " + parsed.invalid());
    }
    return new MeshSettings(
        parsed.ports(),
        p.defaultOpaquePorts(),
        p.detectTimeout(),
        p.clusterDomain(),
        p.trustDomain(),
        p.controlPlaneNamespace(),
        p.inboundPort(),
        p.adminPort());
  }

  /** The rewrite to the inbound port is NetworkPolicy-aware unless the install says always. */
  @Bean
  Resolver resolver(
      MeshSettings settings, NetworkPolicyProperties networkPolicy, InboundProperties inbound) {
    return new Resolver(
        settings,
        networkPolicy.rewrite() == NetworkPolicyProperties.Rewrite.AWARE
            ? new NetworkPolicyTransport()
            : OpaqueTransportPolicy.ALWAYS,
        inbound.settings());
  }

  @Bean(destroyMethod = "close")
  Index index(
      Resolver resolver,
      PortolanMetrics metrics,
      ShadowedServers shadowed,
      NetworkPolicyConflicts conflicts) {
    return new Index(
        resolver,
        IndexObserver.compose(IndexObserver.compose(metrics.indexObserver(), shadowed), conflicts));
  }
}
