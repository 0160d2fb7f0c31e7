package dev.portolan.policy;

import dev.portolan.policy.config.PortolanProperties;
import dev.portolan.policy.events.WarningEvents;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.SyncState;
import dev.portolan.policy.source.manifests.ManifestsLimits;
import dev.portolan.policy.source.manifests.ManifestsSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Chooses the source: the manifests directory (default) or the cluster (a later change). */
@Configuration(proxyBeanMethods = false)
public class SourceConfiguration {

  @Bean(initMethod = "start", destroyMethod = "close")
  @ConditionalOnProperty(name = "portolan.source", havingValue = "manifests", matchIfMissing = true)
  ManifestsSource manifestsSource(
      PortolanProperties p,
      ManifestsLimits limits,
      ClusterSink sink,
      SyncState sync,
      // Created first so problems found by the first load become Events.
      ObjectProvider<WarningEvents> events) {
    events.ifAvailable(e -> {});
    return new ManifestsSource(
        p.manifests().dir(), p.manifests().reloadQuietPeriod(), sink, sync, limits);
  }
}
