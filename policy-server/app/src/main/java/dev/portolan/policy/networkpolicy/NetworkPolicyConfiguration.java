package dev.portolan.policy.networkpolicy;

import dev.portolan.policy.resolve.Resolver;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The conflict report, on when the NetworkPolicy-aware rewrite is. */
@Configuration(proxyBeanMethods = false)
public class NetworkPolicyConfiguration {

  @Bean(destroyMethod = "close")
  NetworkPolicyConflicts networkPolicyConflicts(
      Resolver resolver, NetworkPolicyProperties props, MeterRegistry registry) {
    return new NetworkPolicyConflicts(
        resolver,
        props.rewrite() == NetworkPolicyProperties.Rewrite.AWARE,
        registry,
        props.conflictsSettle(),
        props.conflictsMaxDelay());
  }
}
