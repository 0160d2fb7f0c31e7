package dev.portolan.policy.grpc;

import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.Server;
import dev.portolan.policy.index.InboundKey;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.Versioned;
import dev.portolan.policy.metrics.StreamRegistry;
import dev.portolan.policy.resolve.BadRequestException;
import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.ClientText;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * InboundServerPolicies.GetPort / WatchPort (docs/design/streams.md): first message current, then
 * on change.
 */
final class InboundPolicyService extends InboundServerPoliciesGrpc.InboundServerPoliciesImplBase {
  private final Index index;
  private final Pumps pumps;
  private final StreamRegistry streams;

  InboundPolicyService(Index index, Pumps pumps, StreamRegistry streams) {
    this.index = index;
    this.pumps = pumps;
    this.streams = streams;
  }

  @Override
  public void getPort(PortSpec request, StreamObserver<Server> observer) {
    InboundKey key = keyOrReject(request, observer);
    if (key == null) {
      return;
    }
    InboundKey.Policy policy = key.compute(index.resolver(), index.snapshot());
    if (!policy.podExists()) {
      observer.onError(notFound(key).asRuntimeException());
      return;
    }
    observer.onNext(
        AuthzWire.server(
            Objects.requireNonNull(policy.protocol(), "an existing Pod has a protocol"),
            policy.authz()));
    observer.onCompleted();
  }

  @Override
  public void watchPort(PortSpec request, StreamObserver<Server> observer) {
    InboundKey key = keyOrReject(request, observer);
    if (key == null) {
      return;
    }
    var pump = new WatchPump((ServerCallStreamObserver<Server>) observer);
    pump.onClose(streams.open(pump, key));
    pump.start(index, key, ClientClass.EVERYONE);
  }

  /** The request's key, or null after answering INVALID_ARGUMENT with the reason. */
  private static @Nullable InboundKey keyOrReject(
      PortSpec request, StreamObserver<Server> observer) {
    try {
      return key(request);
    } catch (BadRequestException e) {
      observer.onError(
          Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return null;
    }
  }

  private static InboundKey key(PortSpec request) {
    Workload w = Workload.parse(request.getWorkload());
    int port = request.getPort();
    if (port < 1 || port > 65535) {
      throw new BadRequestException("port " + port + " out of range 1-65535");
    }
    return new InboundKey(w.namespace(), w.pod(), port);
  }

  private static Status notFound(InboundKey key) {
    return Status.NOT_FOUND.withDescription(
        "no Pod " + ClientText.clip(key.namespace()) + "/" + ClientText.clip(key.pod()));
  }

  private final class WatchPump extends StreamPump<InboundKey.Policy, Server> {
    private @Nullable Server last;

    WatchPump(ServerCallStreamObserver<Server> call) {
      super("inbound.watch", call, pumps);
    }

    @Override
    @Nullable Status terminal(InboundKey.Policy value, boolean first) {
      // An unknown Pod is an error up front; a Pod that goes away later just stops updating.
      return first && !value.podExists() ? Status.NOT_FOUND.withDescription("unknown Pod") : null;
    }

    @Override
    @Nullable Server next(Versioned<InboundKey.Policy> v) {
      InboundKey.Policy value = v.value();
      if (value == null || !value.podExists() || value.protocol() == null) {
        return null;
      }
      Server s = AuthzWire.server(value.protocol(), value.authz());
      if (s.equals(last)) {
        return null;
      }
      last = s;
      return s;
    }
  }
}
