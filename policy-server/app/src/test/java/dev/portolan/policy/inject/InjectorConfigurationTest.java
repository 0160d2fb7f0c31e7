package dev.portolan.policy.inject;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.policy.config.PortolanProperties;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.resolve.Resolver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The webhook exists only when enabled, and bad install settings stop the start. */
class InjectorConfigurationTest {

  @Configuration(proxyBeanMethods = false)
  @EnableConfigurationProperties({InjectorProperties.class, PortolanProperties.class})
  static class Base {
    @Bean(destroyMethod = "close")
    Index index() {
      return new Index(new Resolver(MeshSettings.defaults()));
    }

    @Bean
    MeterRegistry registry() {
      return new SimpleMeterRegistry();
    }
  }

  final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withUserConfiguration(Base.class, InjectorConfiguration.class)
          .withPropertyValues("portolan.injector.port=0");

  @Test
  void off_by_default() {
    runner.run(ctx -> assertThat(ctx).hasNotFailed().doesNotHaveBean(WebhookServer.class));
  }

  @Test
  void on_when_enabled() {
    runner
        .withPropertyValues("portolan.injector.enabled=true")
        .run(ctx -> assertThat(ctx).hasNotFailed().hasSingleBean(WebhookServer.class));
  }

  @Test
  void a_bad_install_setting_stops_the_start_naming_it() {
    runner
        .withPropertyValues(
            "portolan.injector.enabled=true",
            "portolan.injector.proxy-init.ignore-inbound-ports=22,ssh",
            "portolan.injector.proxy-init.iptables-mode=xtables")
        .run(ctx ->
            assertThat(ctx)
                .hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining(
                    "proxy-init.ignore-inbound-ports: token 2 'ssh': unknown port name")
                .hasMessageContaining(
                    "proxy-init.iptables-mode: 'xtables' is not one of legacy, nft"));
  }

  @Test
  void a_certificate_without_its_key_stops_the_start() {
    runner
        .withPropertyValues(
            "portolan.injector.enabled=true", "portolan.injector.cert-file=/nonexistent/tls.crt")
        .run(ctx ->
            assertThat(ctx)
                .hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("cert-file and key-file go together"));
  }
}
