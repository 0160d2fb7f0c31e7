package dev.portolan.policy.grpc;

import dev.portolan.api.destination.AddrSet;
import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.api.destination.WeightedAddrSet;
import dev.portolan.policy.index.EndpointsKey;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.index.ProfileKey;
import dev.portolan.policy.index.Versioned;
import dev.portolan.policy.metrics.PortolanMetrics;
import dev.portolan.policy.metrics.StreamRegistry;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.resolve.Authority;
import dev.portolan.policy.resolve.BadRequestException;
import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.Endpoint;
import dev.portolan.policy.resolve.EndpointSet;
import dev.portolan.policy.resolve.Profile;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Destination.Get (endpoints, diffs) and Destination.GetProfile (profiles), docs/design/streams.md.
 */
final class DestinationService extends DestinationGrpc.DestinationImplBase {
  private static final Logger log = LoggerFactory.getLogger(DestinationService.class);

  private final Index index;
  private final MeshSettings settings;
  private final Executor executor;
  private final PortolanMetrics metrics;
  private final StreamRegistry streams;

  DestinationService(
      Index index,
      MeshSettings settings,
      Executor executor,
      PortolanMetrics metrics,
      StreamRegistry streams) {
    this.index = index;
    this.settings = settings;
    this.executor = executor;
    this.metrics = metrics;
    this.streams = streams;
  }

  @Override
  public void get(GetDestination request, StreamObserver<Update> observer) {
    EndpointsKey key;
    try {
      Authority authority = Authority.parse(request.getPath());
      if (authority.isIp()) {
        throw new BadRequestException(
            "Get takes a Service name (<svc>.<ns>.svc."
                + settings.clusterDomain()
                + ":<port>); "
                + "for an IP use GetProfile: '"
                + request.getPath()
                + "'");
      }
      Authority.ServiceName sn = authority.serviceName(settings.clusterDomain());
      if (sn == null) {
        throw new BadRequestException(
            "not a Service in the cluster domain "
                + settings.clusterDomain()
                + ": '"
                + request.getPath()
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
      key = new EndpointsKey(sn.namespace(), sn.name(), authority.port(), client(request));
    } catch (BadRequestException e) {
      observer.onError(
          Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    var pump = new GetPump((ServerCallStreamObserver<Update>) observer);
    pump.onClose(streams.open(pump, key.toString()));
    pump.start(index, key);
  }

  @Override
  public void getProfile(GetDestination request, StreamObserver<DestinationProfile> observer) {
    ProfileKey key;
    try {
      Authority authority = Authority.parse(request.getPath());
      key = new ProfileKey(authority, client(request), settings.clusterDomain());
      // Reject what can never be answered (ExternalName) before opening a stream.
      key.compute(index.resolver(), index.snapshot());
    } catch (BadRequestException e) {
      observer.onError(
          Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    var pump = new ProfilePump((ServerCallStreamObserver<DestinationProfile>) observer);
    pump.onClose(streams.open(pump, key.toString()));
    pump.start(index, key);
  }

  private ClientContext client(GetDestination request) {
    ClientContext c = ContextToken.parse(request.getContextToken());
    if (c == null) {
      metrics.contextTokenUnreadable();
      log.warn(
          "unreadable context token '{}' for {}: treating the client as unknown",
          request.getContextToken(),
          request.getPath());
      return ClientContext.UNKNOWN;
    }
    return c;
  }

  /** Sends the first answer, then only the adds and removes since what this stream last got. */
  private final class GetPump extends StreamPump<EndpointSet, Update> {
    private Map<String, WeightedAddr> sent = Map.of();
    private Boolean sentExists;

    GetPump(ServerCallStreamObserver<Update> call) {
      super("destination.get", call, executor, metrics);
    }

    @Override
    List<Update> emit(Versioned<EndpointSet> v, boolean first) {
      EndpointSet set = v.value();
      Map<String, WeightedAddr> now = translate(set);
      List<Update> out = new ArrayList<>(2);
      AddrSet.Builder removed = AddrSet.newBuilder();
      for (var e : sent.entrySet()) {
        if (!now.containsKey(e.getKey())) {
          removed.addAddrs(e.getValue().getAddr());
        }
      }
      if (removed.getAddrsCount() > 0) {
        out.add(Update.newBuilder().setRemove(removed).build());
      }
      WeightedAddrSet.Builder added = WeightedAddrSet.newBuilder().putAllMetricLabels(set.labels());
      for (var e : now.entrySet()) {
        if (!e.getValue().equals(sent.get(e.getKey()))) {
          added.addAddrs(e.getValue());
        }
      }
      if (added.getAddrsCount() > 0) {
        out.add(Update.newBuilder().setAdd(added).build());
      }
      boolean announceEmpty =
          now.isEmpty()
              && (first || !sent.isEmpty() || sentExists == null || sentExists != set.exists());
      if (announceEmpty) {
        out.add(Update.newBuilder().setNoEndpoints(Translator.noEndpoints(set.exists())).build());
      }
      sent = now;
      sentExists = set.exists();
      return out;
    }
  }

  private static Map<String, WeightedAddr> translate(EndpointSet set) {
    Map<String, WeightedAddr> out = new LinkedHashMap<>();
    for (Endpoint e : set.endpoints()) {
      out.put(e.address(), Translator.weightedAddr(e));
    }
    return out;
  }

  /** Re-sends the profile only when its message changes. */
  private final class ProfilePump extends StreamPump<Profile, DestinationProfile> {
    private DestinationProfile last;

    ProfilePump(ServerCallStreamObserver<DestinationProfile> call) {
      super("destination.profile", call, executor, metrics);
    }

    @Override
    List<DestinationProfile> emit(Versioned<Profile> v, boolean first) {
      DestinationProfile p = Translator.profile(v.value());
      if (p.equals(last)) {
        return List.of();
      }
      last = p;
      return List.of(p);
    }
  }
}
