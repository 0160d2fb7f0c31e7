package dev.portolan.policy.explain;

import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.Provenance;
import org.jspecify.annotations.Nullable;

/**
 * A provenance as a user reads it: which object decided, where in it, the value found there. This
 * is the one place that takes the core's sealed {@link Provenance} apart; the actuator JSON and the
 * portolan.v1 answer copy these fields.
 *
 * @param source default, skip, server, annotation, appProtocol or derived
 * @param summary one readable line
 * @param object the deciding object; null for an install default
 * @param setting the install setting that decided (e.g. defaultOpaquePorts); defaults only
 * @param field where in {@code object} the value is written; null when the source is a whole
 *     annotation value with no further path (skip) or another object's decision (derived)
 * @param value the raw value found there; null when unset (a Server without proxyProtocol, a
 *     default without a value) and for a derived step, which has no value of its own: {@code via}
 *     holds it
 * @param targetPort derived only: the backend Pod's port whose decision made the Service port so
 * @param via derived only: the backend Pod's own provenance
 */
public record ProvenanceView(
    String source,
    String summary,
    @Nullable ObjectRef object,
    @Nullable String setting,
    @Nullable String field,
    @Nullable String value,
    @Nullable Integer targetPort,
    @Nullable ProvenanceView via) {

  public static ProvenanceView of(Provenance p) {
    String source = p.source();
    String summary = p.summary();
    return switch (p) {
      case Provenance.Default d ->
          new ProvenanceView(source, summary, null, d.setting(), null, d.value(), null, null);
      case Provenance.Annotation a ->
          new ProvenanceView(
              source,
              summary,
              a.object(),
              null,
              "metadata.annotations[" + a.key() + "]",
              a.raw(),
              null,
              null);
      case Provenance.Skip s ->
          new ProvenanceView(source, summary, s.pod(), null, null, s.raw(), null, null);
      case Provenance.ServerRule s ->
          new ProvenanceView(
              source,
              summary,
              s.server(),
              null,
              "spec.proxyProtocol",
              s.proxyProtocol(),
              null,
              null);
      case Provenance.AppProtocol a ->
          new ProvenanceView(
              source,
              summary,
              a.service(),
              null,
              "spec.ports[port=" + a.port() + "].appProtocol",
              a.value(),
              null,
              null);
      case Provenance.Derived d ->
          new ProvenanceView(
              source, summary, d.pod(), null, null, null, d.targetPort(), of(d.via()));
    };
  }
}
