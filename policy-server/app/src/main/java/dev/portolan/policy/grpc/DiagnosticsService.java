package dev.portolan.policy.grpc;

import dev.portolan.api.v1.DiagnosticsGrpc;
import dev.portolan.api.v1.ExplainRequest;
import dev.portolan.api.v1.ExplainResponse;
import dev.portolan.policy.explain.Explainer;
import dev.portolan.policy.explain.Explanation;
import dev.portolan.policy.resolve.BadRequestException;
import dev.portolan.policy.resolve.ClientText;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Objects;

/** portolan.v1 Diagnostics.Explain: the actuator's explain, over gRPC. */
final class DiagnosticsService extends DiagnosticsGrpc.DiagnosticsImplBase {
  private final Explainer explainer;

  DiagnosticsService(Explainer explainer) {
    this.explainer = explainer;
  }

  @Override
  public void explain(ExplainRequest request, StreamObserver<ExplainResponse> observer) {
    Explanation e;
    try {
      e =
          explainer.explain(
              request.getNamespace(), request.getKind(), request.getName(), request.getPort());
    } catch (BadRequestException ex) {
      observer.onError(
          Status.INVALID_ARGUMENT
              .withDescription(
                  ClientText.clip(Objects.requireNonNullElse(ex.getMessage(), "bad request"), 512))
              .asRuntimeException());
      return;
    }
    if (e == null) {
      String missing =
          Explainer.notFound(
              ClientText.clip(request.getNamespace()),
              ClientText.clip(request.getKind()),
              ClientText.clip(request.getName()));
      observer.onError(Status.NOT_FOUND.withDescription(missing).asRuntimeException());
      return;
    }
    observer.onNext(e.toProto());
    observer.onCompleted();
  }
}
