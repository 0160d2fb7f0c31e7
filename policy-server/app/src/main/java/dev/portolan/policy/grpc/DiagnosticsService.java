package dev.portolan.policy.grpc;

import dev.portolan.api.v1.DiagnosticsGrpc;
import dev.portolan.api.v1.ExplainRequest;
import dev.portolan.api.v1.ExplainResponse;
import dev.portolan.api.v1.InvalidToken;
import dev.portolan.api.v1.ObjectRef;
import dev.portolan.api.v1.PortExplanation;
import dev.portolan.api.v1.Provenance;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.resolve.BadRequestException;
import dev.portolan.policy.web.Explainer;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** portolan.v1 Diagnostics.Explain: the actuator explain, over gRPC. */
final class DiagnosticsService extends DiagnosticsGrpc.DiagnosticsImplBase {
  private final Explainer explainer;

  DiagnosticsService(Explainer explainer) {
    this.explainer = explainer;
  }

  @Override
  public void explain(ExplainRequest request, StreamObserver<ExplainResponse> observer) {
    Explainer.Explanation e;
    try {
      e =
          explainer.explain(
              request.getNamespace(), request.getKind(), request.getName(), request.getPort());
    } catch (BadRequestException ex) {
      observer.onError(
          Status.INVALID_ARGUMENT.withDescription(ex.getMessage()).asRuntimeException());
      return;
    }
    if (e == null) {
      observer.onError(
          Status.NOT_FOUND
              .withDescription(
                  "no "
                      + request.getKind()
                      + " "
                      + request.getNamespace()
                      + "/"
                      + request.getName())
              .asRuntimeException());
      return;
    }
    ExplainResponse.Builder b = ExplainResponse.newBuilder().setObject(ref(e.object()));
    for (var p : e.ports()) {
      var d = p.decision();
      PortExplanation.Builder pb =
          PortExplanation.newBuilder()
              .setPort(p.port())
              .setTargetPort(p.targetPort())
              .setProtocol(d.protocol().id())
              .setSkipped(d.skipped())
              .setProvenance(provenance(d.provenance()));
      if (d.protocol() instanceof Protocol.Detect det) {
        pb.setDetectTimeoutMs((int) det.timeout().toMillis());
      }
      d.shadowed().forEach(s -> pb.addShadowed(ref(s)));
      for (var t : d.invalidTokens()) {
        pb.addInvalidTokens(
            InvalidToken.newBuilder()
                .setObject(ref(t.object()))
                .setField(t.field())
                .setPosition(t.token().position())
                .setToken(t.token().token())
                .setReason(t.token().reason()));
      }
      b.addPorts(pb);
    }
    observer.onNext(b.build());
    observer.onCompleted();
  }

  private static Provenance provenance(dev.portolan.policy.model.Provenance p) {
    Provenance.Builder b = Provenance.newBuilder().setSource(p.source()).setSummary(p.summary());
    switch (p) {
      case dev.portolan.policy.model.Provenance.Default d ->
          b.setField(d.setting()).setRawValue(nz(d.value()));
      case dev.portolan.policy.model.Provenance.Annotation a ->
          b.setObject(ref(a.object()))
              .setField("metadata.annotations[" + a.key() + "]")
              .setRawValue(a.raw());
      case dev.portolan.policy.model.Provenance.Skip s ->
          b.setObject(ref(s.pod())).setRawValue(s.raw());
      case dev.portolan.policy.model.Provenance.ServerRule s ->
          b.setObject(ref(s.server()))
              .setField("spec.proxyProtocol")
              .setRawValue(nz(s.proxyProtocol()));
      case dev.portolan.policy.model.Provenance.AppProtocol a ->
          b.setObject(ref(a.service()))
              .setField("spec.ports[port=" + a.port() + "].appProtocol")
              .setRawValue(a.value());
      case dev.portolan.policy.model.Provenance.Derived d ->
          b.setObject(ref(d.pod())).setVia(provenance(d.via()));
    }
    return b.build();
  }

  private static ObjectRef ref(dev.portolan.policy.model.ObjectRef r) {
    return ObjectRef.newBuilder()
        .setKind(r.kind())
        .setNamespace(r.namespace())
        .setName(r.name())
        .build();
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
