package dev.portolan.policy;

import dev.portolan.policy.config.InboundProperties;
import dev.portolan.policy.config.PortolanProperties;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.IndexObserver;
import dev.portolan.policy.metrics.PortolanMetrics;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.model.PortListParser;
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

  @Bean
  Resolver resolver(MeshSettings settings, InboundProperties inbound) {
    return new Resolver(settings, OpaqueTransportPolicy.ALWAYS, inbound.settings());
  }

  @Bean(destroyMethod = "close")
  Index index(Resolver resolver, PortolanMetrics metrics, ShadowedServers shadowed) {
    return new Index(resolver, IndexObserver.compose(metrics.indexObserver(), shadowed));
  }
}
