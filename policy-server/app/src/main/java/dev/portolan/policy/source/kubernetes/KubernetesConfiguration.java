package dev.portolan.policy.source.kubernetes;

import dev.portolan.policy.events.WarningEvents;
import dev.portolan.policy.networkpolicy.NetworkPolicyConflicts;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.ShadowedServers;
import dev.portolan.policy.source.SyncState;
import dev.portolan.policy.source.TokenReports;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code portolan.source=kubernetes}: the cluster, through fabric8's usual configuration discovery
 * (in-cluster service account, or KUBECONFIG / ~/.kube/config).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "portolan.source", havingValue = "kubernetes")
public class KubernetesConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  KubernetesClient kubernetesClient() {
    return new KubernetesClientBuilder().build();
  }

  /** Registered before the source starts, so problems found during the first sync are reported. */
  @Bean(destroyMethod = "close")
  WarningEvents warningEvents(
      KubernetesClient client,
      ObjectProvider<KubernetesSource> source,
      TokenReports reports,
      ShadowedServers shadowed,
      NetworkPolicyConflicts conflicts) {
    WarningEvents events = KubernetesEventSink.recorder(client, key -> source.getObject().uid(key));
    reports.addListener(events);
    shadowed.addListener(events);
    conflicts.addListener(events);
    return events;
  }

  @Bean(initMethod = "start", destroyMethod = "close")
  KubernetesSource kubernetesSource(
      KubernetesClient client,
      ClusterSink sink,
      SyncState sync,
      MeterRegistry registry,
      WarningEvents events,
      @Value("${portolan.kubernetes.sync-timeout:60s}") Duration syncTimeout) {
    return new KubernetesSource(client, sink, sync, syncTimeout, registry);
  }
}
