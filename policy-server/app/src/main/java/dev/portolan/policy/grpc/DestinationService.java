package dev.portolan.policy.grpc;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.policy.index.EndpointsKey;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.ProfileKey;
import dev.portolan.policy.metrics.PortolanMetrics;
import dev.portolan.policy.metrics.StreamRegistry;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.resolve.Authority;
import dev.portolan.policy.resolve.BadRequestException;
import dev.portolan.policy.resolve.ClientClass;
import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.ClientText;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.Profile;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Destination.Get (endpoints, diffs) and Destination.GetProfile (profiles), docs/design/streams.md.
 *
 * <p>A request's topic is its destination alone: every proxy watching a destination shares one
 * topic and one translation of each value, whatever its context token says. The token only picks
 * the client's class, whose overlay (today none) is computed once per class.
 */
final class DestinationService implements DestinationGrpc.AsyncService, BindableService {
  private static final Logger log = LoggerFactory.getLogger(DestinationService.class);

  private final Index index;
  private final MeshSettings settings;
  private final Pumps pumps;
  private final PortolanMetrics metrics;
  private final StreamRegistry streams;
  private final RepeatedWarning badTokens;
  // One translation per topic value, shared by the streams of the topic.
  private final WireCache<EndpointsKey, EndpointSet, EndpointsWire> endpoints =
      new WireCache<>(EndpointsWire::new);
  private final WireCache<ProfileKey, Profile, ProfilePump.Wire> profiles =
      new WireCache<>((profile, previous) -> new ProfilePump.Wire(profile));

  DestinationService(Index index, MeshSettings settings, Pumps pumps, StreamRegistry streams) {
    this.index = index;
    this.settings = settings;
    this.pumps = pumps;
    this.metrics = pumps.metrics();
    this.streams = streams;
    this.badTokens =
        new RepeatedWarning(
            log,
            "unreadable context tokens (counted in portolan_context_token_errors_total)",
            pumps.limits().warningInterval());
  }

  /**
   * The generated binding, with Get's responses as {@link Encoded} messages: the same method, the
   * same bytes on the wire, but each shared message is encoded once rather than once per stream.
   */
  @Override
  public ServerServiceDefinition bindService() {
    ServerServiceDefinition generated = DestinationGrpc.bindService(this);
    MethodDescriptor<GetDestination, Update> get = DestinationGrpc.getGetMethod();
    MethodDescriptor<GetDestination, Encoded<Update>> encodedGet =
        get.toBuilder(get.getRequestMarshaller(), Encoded.marshaller(get.getResponseMarshaller()))
            .build();
    ServiceDescriptor.Builder service =
        ServiceDescriptor.newBuilder(generated.getServiceDescriptor().getName())
            .setSchemaDescriptor(generated.getServiceDescriptor().getSchemaDescriptor());
    List<ServerMethodDefinition<?, ?>> others = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : generated.getMethods()) {
      if (m.getMethodDescriptor().getFullMethodName().equals(get.getFullMethodName())) {
        service.addMethod(encodedGet);
      } else {
        service.addMethod(m.getMethodDescriptor());
        others.add(m);
      }
    }
    ServerServiceDefinition.Builder def = ServerServiceDefinition.builder(service.build());
    def.addMethod(encodedGet, ServerCalls.asyncServerStreamingCall(this::getEncoded));
    others.forEach(def::addMethod);
    return def.build();
  }

  /** Get, answered with {@link Encoded} messages (see {@link #bindService}). */
  void getEncoded(GetDestination request, StreamObserver<Encoded<Update>> observer) {
    EndpointsKey key;
    try {
      Authority authority = Authority.parse(request.getPath());
      if (authority.isIp()) {
        throw new BadRequestException(
            "Get takes a Service name (<svc>.<ns>.svc."
                + settings.clusterDomain()
                + ":<port>); for an IP use GetProfile: '"
                + ClientText.clip(request.getPath())
                + "'");
      }
      Authority.ServiceName sn = authority.serviceName(settings.clusterDomain());
      if (sn == null) {
        throw new BadRequestException(
            "not a Service in the cluster domain "
                + settings.clusterDomain()
                + ": '"
                + ClientText.clip(request.getPath())
                + "'");
      }
      var svc = index.snapshot().service(sn.namespace(), sn.name());
      if (svc != null && svc.isExternalName()) {
        throw new BadRequestException(
            "Service "
                + sn.namespace()
                + "/"
                + sn.name()
                + " is of type ExternalName: it has no endpoints");
      }
      key = new EndpointsKey(sn.namespace(), sn.name(), authority.port());
    } catch (BadRequestException e) {
      observer.onError(
          Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    ClientClass client = index.resolver().classify(client(request));
    var slot = endpoints.acquire(key);
    var pump = new GetPump((ServerCallStreamObserver<Encoded<Update>>) observer, pumps, slot);
    Runnable unlist = streams.open(pump, key);
    pump.onClose(() -> {
      unlist.run();
      endpoints.release(key);
    });
    pump.start(index, key, client);
  }

  @Override
  public void getProfile(GetDestination request, StreamObserver<DestinationProfile> observer) {
    ProfileKey key;
    try {
      Authority authority = Authority.parse(request.getPath());
      key = new ProfileKey(authority, settings.clusterDomain());
      // Reject what can never be answered (ExternalName) before opening a stream.
      key.compute(index.resolver(), index.snapshot());
    } catch (BadRequestException e) {
      observer.onError(
          Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    ClientClass client = index.resolver().classify(client(request));
    var slot = profiles.acquire(key);
    var pump =
        new ProfilePump((ServerCallStreamObserver<DestinationProfile>) observer, pumps, slot);
    Runnable unlist = streams.open(pump, key);
    pump.onClose(() -> {
      unlist.run();
      profiles.release(key);
    });
    pump.start(index, key, client);
  }

  /**
   * The client a context token names; an unreadable one is counted and the client is unknown. When
   * answers vary by client, a client that cannot be placed is counted too (it is told to rewrite).
   */
  private ClientContext client(GetDestination request) {
    ClientContext c = parseToken(request);
    if (index.resolver().variesByClient()) {
      String unknown = null;
      if (request.getContextToken().isBlank()) {
        unknown = "no-token";
      } else if (c == null) {
        unknown = "unreadable";
      } else if (!c.isKnown() || c.pod().isEmpty()) {
        unknown = "no-pod";
      } else if (index.snapshot().pod(c.namespace(), c.pod()) == null) {
        unknown = "pod-not-found";
      }
      if (unknown != null) {
        metrics.unknownClient(unknown);
      }
    }
    return c == null ? ClientContext.UNKNOWN : c;
  }

  private @Nullable ClientContext parseToken(GetDestination request) {
    ClientContext c = ContextToken.parse(request.getContextToken());
    if (c == null) {
      metrics.contextTokenUnreadable();
      badTokens.warn(() ->
          "'"
              + ClientText.clip(request.getContextToken())
              + "' for '"
              + ClientText.clip(request.getPath())
              + "' (such clients are treated as unknown)");
    }
    return c;
  }
}
