package dev.portolan.policy.inject;

import dev.portolan.inject.AdmissionHandler;
import dev.portolan.inject.Injector;
import dev.portolan.policy.config.PortolanProperties;
import dev.portolan.policy.index.Index;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The webhook, only with {@code portolan.injector.enabled=true}. Bad install settings (a skip list
 * with a bad token, an unknown iptables mode, …) stop the start with a message naming each.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "portolan.injector.enabled", havingValue = "true")
public class InjectorConfiguration {

  @Bean
  Injector injector(InjectorProperties props, PortolanProperties portolan) {
    return new Injector(
        props.toConfig(
            portolan.controlPlaneNamespace(), portolan.clusterDomain(), portolan.grpc().port()));
  }

  @Bean
  WebhookServer webhookServer(
      InjectorProperties props, Injector injector, Index index, MeterRegistry registry) {
    return new WebhookServer(
        props, new AdmissionHandler(injector, new IndexNamespaces(index)), registry);
  }
}
