package dev.portolan.policy.source.kubernetes;

import dev.portolan.policy.events.EventSink;
import dev.portolan.policy.events.WarningEvent;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Cluster mode's Events sink: creates the Event; 409 Conflict means it is already there. */
final class KubernetesEventSink implements EventSink {
  private static final Logger log = LoggerFactory.getLogger(KubernetesEventSink.class);
  private final KubernetesClient client;

  KubernetesEventSink(KubernetesClient client) {
    this.client = client;
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
