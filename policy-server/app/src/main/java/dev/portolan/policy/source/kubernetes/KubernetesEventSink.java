package dev.portolan.policy.source.kubernetes;

import dev.portolan.policy.events.EventSink;
import dev.portolan.policy.events.WarningEvent;
import dev.portolan.policy.events.WarningEvents;
import dev.portolan.policy.model.Resource;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Cluster mode's Events sink: creates the Event; 409 Conflict means it is already there. */
final class KubernetesEventSink implements EventSink {
  private static final Logger log = LoggerFactory.getLogger(KubernetesEventSink.class);
  private final KubernetesClient client;

  KubernetesEventSink(KubernetesClient client) {
    this.client = client;
  }

  /**
   * The recorder of cluster mode: Events go to the API server, a policy's generation is read from
   * it.
   *
   * @param uids looks up an object's UID in the informer caches (the Event's involvedObject)
   */
  static WarningEvents recorder(
      KubernetesClient client, Function<Resource.Key, Optional<String>> uids) {
    return new WarningEvents(new KubernetesEventSink(client), uids, key -> generation(client, key));
  }

  private static Optional<String> generation(KubernetesClient client, Resource.Key key) {
    try {
      NetworkPolicy np =
          client
              .network()
              .v1()
              .networkPolicies()
              .inNamespace(key.namespace())
              .withName(key.name())
              .get();
      if (np != null && np.getMetadata().getGeneration() != null) {
        return Optional.of(np.getMetadata().getGeneration().toString());
      }
    } catch (KubernetesClientException e) {
      log.debug("cannot read {} for its generation: {}", key, e.getMessage());
    }
    return Optional.empty();
  }

  @Override
  public void record(WarningEvent e) {
    WarningEvent.InvolvedObject o = e.involvedObject();
    String ts = e.firstTimestamp().toString();
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withName(e.name())
            .withNamespace(e.namespace())
            .endMetadata()
            .withType(e.type())
            .withReason(e.reason())
            .withMessage(e.message())
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(o.apiVersion())
                    .withKind(o.kind())
                    .withNamespace(o.namespace())
                    .withName(o.name())
                    .withUid(o.uid())
                    .build())
            .withNewSource()
            .withComponent(e.component())
            .endSource()
            .withFirstTimestamp(ts)
            .withLastTimestamp(ts)
            .withCount(e.count())
            .build();
    try {
      client.v1().events().inNamespace(e.namespace()).resource(event).create();
    } catch (KubernetesClientException ex) {
      if (ex.getCode() != 409) {
        log.warn("cannot write Warning Event for {} {}: {}", o.kind(), o.name(), ex.getMessage());
      }
    }
  }
}
