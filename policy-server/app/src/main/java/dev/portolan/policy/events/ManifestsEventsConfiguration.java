package dev.portolan.policy.events;

import dev.portolan.policy.networkpolicy.NetworkPolicyConflicts;
import dev.portolan.policy.source.ShadowedServers;
import dev.portolan.policy.source.TokenReports;
import java.util.Optional;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * With the manifests source there is no API server to write Events to: the same recorder writes
 * them to memory, listed on {@code /actuator/events} (docs/operations.md, "Kubernetes Events").
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "portolan.source", havingValue = "manifests", matchIfMissing = true)
public class ManifestsEventsConfiguration {

  @Bean
  RecordedEvents recordedEvents() {
    return new RecordedEvents();
  }

  /** Registered before the source starts (the source asks for it), so the first load reports. */
  @Bean(destroyMethod = "close")
  WarningEvents warningEvents(
      RecordedEvents sink,
      TokenReports reports,
      ShadowedServers shadowed,
      NetworkPolicyConflicts conflicts) {
    // Files carry no UID and no metadata.generation: the policy's spec stands for its generation,
    // so editing the spec gives a new Event and a changed list of clients does not.
    WarningEvents events =
        new WarningEvents(
            sink,
            key -> Optional.empty(),
            key -> conflicts.policy(key.namespace(), key.name()).map(Object::toString));
    reports.addListener(events);
    shadowed.addListener(events);
    conflicts.addListener(events);
    return events;
  }

  @Bean
  EventsEndpoint eventsEndpoint(RecordedEvents events) {
    return new EventsEndpoint(events);
  }
}
