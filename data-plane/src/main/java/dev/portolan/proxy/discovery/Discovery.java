package dev.portolan.proxy.discovery;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.api.inbound.InboundServerPoliciesGrpc;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.ProxyProtocol;
import dev.portolan.api.inbound.Server;
import dev.portolan.api.net.TcpAddress;
import dev.portolan.proxy.discovery.Views.EndpointView;
import dev.portolan.proxy.discovery.Views.ProfileView;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.HttpVersion;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's view of the control plane: one shared stream per profile target, per Service
 * authority and per inbound port, each keeping its latest value. While the policy-server is away
 * the last known values keep being served (and counted as stale); an unknown destination then gets
 * {@link ProfileView#UNKNOWN}, i.e. it is forwarded to its original destination.
 */
public final class Discovery implements AutoCloseable {
  /**
   * What discovery needs of the proxy's settings.
   *
   * @param policyServer host:port of the policy-server's gRPC API
   * @param namespace this pod's namespace (context token, inbound workload)
   * @param pod this pod's name
   * @param firstAnswerWait how long a new destination waits for its first answer
   * @param detectTimeout the detection deadline of a port the control plane never answered for
   * @param socketChannel the socket channel of the admin loop's I/O transport
   */
  public record Settings(
      String policyServer,
      String namespace,
      String pod,
      Duration firstAnswerWait,
      Duration detectTimeout,
      Class<? extends Channel> socketChannel) {}

  private final Settings config;
  private final Metrics metrics;
  private final ManagedChannel channel;
  private final DestinationGrpc.DestinationStub destination;
  private final InboundServerPoliciesGrpc.InboundServerPoliciesStub inbound;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("portolan-discovery").unstarted(r));
  private final Map<String, Watch<DestinationProfile, ProfileView>> profiles =
      new ConcurrentHashMap<>();
  private final Map<String, Watch<Update, Map<InetSocketAddress, EndpointView>>> endpoints =
      new ConcurrentHashMap<>();
  private final Map<Integer, Watch<Server, Handling>> policies = new ConcurrentHashMap<>();
  private final String contextToken;

  /**
   * @param loop the event loop group the gRPC channel runs on (the proxy's admin loop: discovery
   *     never competes with the data path); its callbacks run there too, they only fold values
   */
  public Discovery(Settings config, Metrics metrics, EventLoopGroup loop) {
    this.config = config;
    this.metrics = metrics;
    this.channel =
        NettyChannelBuilder.forTarget(config.policyServer())
            .eventLoopGroup(loop)
            .channelType(config.socketChannel())
            .directExecutor()
            .usePlaintext()
            .keepAliveTime(30, TimeUnit.SECONDS)
            .build();
    this.destination = DestinationGrpc.newStub(channel);
    this.inbound = InboundServerPoliciesGrpc.newStub(channel);
    this.contextToken =
        "{\"ns\":\""
            + config.namespace()
            + "\",\"nodeName\":\"\",\"pod\":\""
            + config.pod()
            + "\"}";
  }

  /** The profile of an original destination (waits for the first answer at most a moment). */
  public CompletableFuture<ProfileView> profile(InetSocketAddress dst) {
    String path = hostPort(dst);
    Watch<DestinationProfile, ProfileView> w =
        profiles.computeIfAbsent(
            path,
            p ->
                new Watch<>(
                    "profile " + p,
                    obs -> destination.getProfile(request(p), obs),
                    null,
                    (old, m) -> profileView(m),
                    scheduler,
                    () -> stale("profile")));
    return w.firstWithin(config.firstAnswerWait())
        .thenApply(v -> v == null ? ProfileView.UNKNOWN : v);
  }

  /** The endpoints of a Service authority ({@code fqn:port}); empty when unknown. */
  public CompletableFuture<Map<InetSocketAddress, EndpointView>> endpoints(String authority) {
    Watch<Update, Map<InetSocketAddress, EndpointView>> w =
        endpoints.computeIfAbsent(
            authority,
            a ->
                new Watch<>(
                    "endpoints " + a,
                    obs -> destination.get(request(a), obs),
                    Map.of(),
                    Discovery::applyUpdate,
                    scheduler,
                    () -> stale("endpoints")));
    return w.firstWithin(config.firstAnswerWait()).thenApply(v -> v == null ? Map.of() : v);
  }

  /**
   * The endpoints of an authority as last known, without waiting: for per-request picks on a
   * connection whose routing already awaited {@link #endpoints}. Empty when never answered.
   */
  public Map<InetSocketAddress, EndpointView> currentEndpoints(String authority) {
    Watch<Update, Map<InetSocketAddress, EndpointView>> w = endpoints.get(authority);
    Map<InetSocketAddress, EndpointView> v = w == null ? null : w.latest();
    return v == null ? Map.of() : v;
  }

  /**
   * How one of this pod's ports is handled under its inbound policy; Detect when the control plane
   * never answered.
   */
  public CompletableFuture<Handling> inbound(int port) {
    Watch<Server, Handling> w =
        policies.computeIfAbsent(
            port,
            p ->
                new Watch<>(
                    "inbound " + p,
                    obs ->
                        inbound.watchPort(
                            PortSpec.newBuilder()
                                .setWorkload(config.namespace() + ":" + config.pod())
                                .setPort(p)
                                .build(),
                            obs),
                    null,
                    (old, m) -> policy(m),
                    scheduler,
                    () -> stale("inbound")));
    return w.firstWithin(config.firstAnswerWait())
        .thenApply(v -> v == null ? new Handling.Detect(config.detectTimeout()) : v);
  }

  private void stale(String kind) {
    long n =
        switch (kind) {
          case "profile" -> profiles.values().stream().filter(Watch::stale).count();
          case "endpoints" -> endpoints.values().stream().filter(Watch::stale).count();
          default -> policies.values().stream().filter(Watch::stale).count();
        };
    var g = metrics.gauge("discovery_stale", "kind", kind);
    g.reset();
    g.add(n);
  }

  private GetDestination request(String path) {
    return GetDestination.newBuilder()
        .setScheme("k8s")
        .setPath(path)
        .setContextToken(contextToken)
        .build();
  }

  static ProfileView profileView(DestinationProfile p) {
    return new ProfileView(
        p.getOpaqueProtocol(),
        p.getFullyQualifiedName(),
        p.hasEndpoint() ? endpoint(p.getEndpoint()) : null);
  }

  static Map<InetSocketAddress, EndpointView> applyUpdate(
      Map<InetSocketAddress, EndpointView> old, Update u) {
    Map<InetSocketAddress, EndpointView> next = new HashMap<>(old);
    switch (u.getUpdateCase()) {
      case ADD -> {
        for (WeightedAddr a : u.getAdd().getAddrsList()) {
          EndpointView e = endpoint(a);
          next.put(e.address(), e);
        }
      }
      case REMOVE -> u.getRemove().getAddrsList().forEach(a -> next.remove(address(a)));
      case NO_ENDPOINTS -> next.clear();
      default -> {}
    }
    return Map.copyOf(next);
  }

  static EndpointView endpoint(WeightedAddr a) {
    var hint = a.getProtocolHint();
    String identity = a.hasTlsIdentity() ? a.getTlsIdentity().getDnsLikeIdentity().getName() : null;
    return new EndpointView(
        address(a.getAddr()),
        a.hasProtocolHint() && hint.hasOpaque(),
        hint.hasOpaqueTransport() ? hint.getOpaqueTransport().getInboundPort() : 0,
        identity,
        a.getMetricLabelsMap());
  }

  static InetSocketAddress address(TcpAddress a) {
    try {
      byte[] ip;
      if (a.getIp().hasIpv6()) {
        ip =
            ByteBuffer.allocate(16)
                .putLong(a.getIp().getIpv6().getFirst())
                .putLong(a.getIp().getIpv6().getLast())
                .array();
      } else {
        ip = ByteBuffer.allocate(4).putInt(a.getIp().getIpv4()).array();
      }
      return new InetSocketAddress(InetAddress.getByAddress(ip), a.getPort());
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A port's policy as the data path handles it: the one place a {@code proxyProtocol} is read.
   * HTTP/1, HTTP/2 and gRPC go to their codec (gRPC is HTTP/2); TLS the app does itself, so its
   * bytes are relayed as they are.
   */
  static Handling policy(Server s) {
    ProxyProtocol p = s.getProtocol();
    return switch (p.getKindCase()) {
      case OPAQUE, TLS -> Handling.OPAQUE;
      case DETECT ->
          new Handling.Detect(
              Duration.ofSeconds(
                  p.getDetect().getTimeout().getSeconds(), p.getDetect().getTimeout().getNanos()));
      case HTTP1 -> new Handling.Codec(HttpVersion.HTTP_1);
      case HTTP2, GRPC -> new Handling.Codec(HttpVersion.HTTP_2);
      case KIND_NOT_SET -> new Handling.Detect(Duration.ofSeconds(10));
    };
  }

  static String hostPort(InetSocketAddress a) {
    String host = a.getAddress().getHostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    channel.shutdownNow();
  }
}
