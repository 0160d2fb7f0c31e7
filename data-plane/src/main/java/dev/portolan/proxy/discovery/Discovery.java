package dev.portolan.proxy.discovery;

import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.api.inbound.ProxyProtocol;
import dev.portolan.api.inbound.Server;
import dev.portolan.api.net.TcpAddress;
import dev.portolan.proxy.discovery.Views.EndpointView;
import dev.portolan.proxy.discovery.Views.ProfileView;
import dev.portolan.proxy.grpc.GrpcChannel;
import dev.portolan.proxy.metrics.HeapGiveBack;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.HttpVersion;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

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
   * @param policyServer host:port of the policy-server's gRPC API, or several replicas as {@code
   *     host:port,host:port} (see {@link Replicas})
   * @param namespace this pod's namespace (context token, inbound workload)
   * @param pod this pod's name
   * @param firstAnswerWait how long a new destination waits for its first answer
   * @param detectTimeout the detection deadline of a port the control plane never answered for
   * @param socketChannel the socket channel of the admin loop's I/O transport
   * @param limits eviction, cap and reconnect bounds
   * @param contextToken sent on every Destination request (docs/design/streams.md); null or blank:
   *     built from the namespace and pod, with no node name
   */
  public record Settings(
      String policyServer,
      String namespace,
      String pod,
      Duration firstAnswerWait,
      Duration detectTimeout,
      Class<? extends Channel> socketChannel,
      Limits limits,
      @Nullable String contextToken) {
    public Settings(
        String policyServer,
        String namespace,
        String pod,
        Duration firstAnswerWait,
        Duration detectTimeout,
        Class<? extends Channel> socketChannel,
        Limits limits) {
      this(
          policyServer,
          namespace,
          pod,
          firstAnswerWait,
          detectTimeout,
          socketChannel,
          limits,
          null);
    }

    public Settings(
        String policyServer,
        String namespace,
        String pod,
        Duration firstAnswerWait,
        Duration detectTimeout,
        Class<? extends Channel> socketChannel) {
      this(
          policyServer,
          namespace,
          pod,
          firstAnswerWait,
          detectTimeout,
          socketChannel,
          Limits.DEFAULT);
    }
  }

  /**
   * The answer for a destination over the cap: relayed to its original destination as TCP, with no
   * discovery stream and no detection (both cost memory per destination).
   */
  public static final ProfileView OVER_CAP = new ProfileView(true, "", null);

  /** The {@code target_addr} of connections over the cap (docs/proxy.md, "Eviction and caps"). */
  public static final String OVER_CAP_TARGET = "over-cap";

  private final Settings config;
  private final Metrics metrics;
  private static final String GET = "/io.linkerd.proxy.destination.Destination/Get";
  private static final String GET_PROFILE = "/io.linkerd.proxy.destination.Destination/GetProfile";
  private static final String WATCH_PORT =
      "/io.linkerd.proxy.inbound.InboundServerPolicies/WatchPort";
  private static final int MAX_MESSAGE_BYTES = 4 << 20; // gRPC's default

  private final GrpcChannel channel;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("portolan-discovery").unstarted(r));
  private final Map<String, Watch<DestinationProfile, ProfileView>> profiles =
      new ConcurrentHashMap<>();
  private final Map<String, Watch<Update, Map<InetSocketAddress, EndpointView>>> endpoints =
      new ConcurrentHashMap<>();
  private final Map<Integer, Watch<Server, InboundPolicy>> policies = new ConcurrentHashMap<>();
  private final String contextToken;
  // Runs on the scheduler thread only (the sweep), so its count needs no lock.
  private final HeapGiveBack heapGiveBack =
      new HeapGiveBack(HeapGiveBack.AFTER_DESTINATIONS, System::gc);

  /**
   * @param loop the event loop group the gRPC channel runs on (the proxy's admin loop: discovery
   *     never competes with the data path); its callbacks run there too, they only fold values
   */
  public Discovery(Settings config, Metrics metrics, EventLoopGroup loop) {
    this(config, metrics, loop, null);
  }

  /**
   * @param tls mTLS to the policy-server (docs/identity.md), or null for plaintext
   */
  public Discovery(
      Settings config, Metrics metrics, EventLoopGroup loop, @Nullable ControlPlaneTls tls) {
    this.config = config;
    this.metrics = metrics;
    try {
      this.channel =
          new GrpcChannel(
              config.policyServer(),
              loop,
              config.socketChannel(),
              tls == null ? null : tls.context(),
              tls == null ? null : tls.serverIdentity(),
              Duration.ofSeconds(30));
    } catch (IllegalArgumentException e) {
      // A bad entry is named at start, not at the first stream.
      throw new IllegalArgumentException("PORTOLAN_POLICY_SERVER: " + e.getMessage(), e);
    }
    if (tls != null) {
      // Calls made before the first certificate went without one; new calls after it open a new
      // connection that presents it (streams already open stay on theirs until they reconnect).
      tls.onFirstCertificate(channel::enterIdle);
    }
    long every = Math.max(200, config.limits().idleTimeout().toMillis() / 4);
    scheduler.scheduleWithFixedDelay(this::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
    String token = config.contextToken();
    this.contextToken =
        token != null && !token.isBlank()
            ? token
            : "{\"ns\":\""
                + config.namespace()
                + "\",\"nodeName\":\"\",\"pod\":\""
                + config.pod()
                + "\"}";
  }

  /**
   * The profile of an original destination (waits for the first answer at most a moment), used
   * until {@code userGone} completes; {@link #OVER_CAP} when {@link Limits#maxDestinations} are
   * already watched.
   */
  public CompletableFuture<ProfileView> profile(InetSocketAddress dst, Future<?> userGone) {
    String path = hostPort(dst);
    Watch<DestinationProfile, ProfileView> w =
        use(
            profiles,
            path,
            config.limits().maxDestinations(),
            userGone,
            p ->
                new Watch<>(
                    "profile " + p,
                    obs -> stream(GET_PROFILE, request(p), DestinationProfile.parser(), obs),
                    null,
                    (old, m) -> profileView(m),
                    scheduler,
                    config.limits(),
                    () -> stale("profile")));
    if (w == null) {
      metrics.counter("discovery_destinations_refused_total").increment();
      return CompletableFuture.completedFuture(OVER_CAP);
    }
    return w.firstWithin(config.firstAnswerWait())
        .thenApply(v -> v == null ? ProfileView.UNKNOWN : v);
  }

  /**
   * The endpoints of a Service authority ({@code fqn:port}), used until {@code userGone} completes;
   * empty when unknown. Not capped: there are no more authorities than profiles.
   */
  public CompletableFuture<Map<InetSocketAddress, EndpointView>> endpoints(
      String authority, Future<?> userGone) {
    Watch<Update, Map<InetSocketAddress, EndpointView>> w =
        Objects.requireNonNull(
            use(
                endpoints,
                authority,
                Integer.MAX_VALUE,
                userGone,
                a ->
                    new Watch<>(
                        "endpoints " + a,
                        obs -> stream(GET, request(a), Update.parser(), obs),
                        Map.of(),
                        Discovery::applyUpdate,
                        scheduler,
                        config.limits(),
                        () -> stale("endpoints"))));
    return w.firstWithin(config.firstAnswerWait()).thenApply(v -> v == null ? Map.of() : v);
  }

  /**
   * The watch of {@code key}, made if absent (unless {@code cap} watches exist: null), with one
   * more user until {@code userGone}. Counting happens inside the map's compute, so the sweep never
   * closes a watch a connection has just taken.
   */
  private <K, W extends Watch<?, ?>> W use(
      Map<K, W> map, K key, int cap, Future<?> userGone, Function<K, W> make) {
    W w =
        map.compute(
            key,
            (k, old) -> {
              W cur = old;
              if (cur == null) {
                if (map.size() >= cap) {
                  return null;
                }
                cur = make.apply(k);
              }
              cur.acquire();
              return cur;
            });
    if (w != null) {
      userGone.addListener(f ->
          map.computeIfPresent(
              key,
              (k, cur) -> {
                if (cur == w) {
                  cur.release();
                }
                return cur;
              }));
    }
    return w;
  }

  /**
   * Closes the watches no connection has used for the idle timeout, and the metric series of
   * destinations without traffic for as long: a port scan leaves nothing behind.
   */
  void sweep() {
    Duration idle = config.limits().idleTimeout();
    long now = System.nanoTime();
    int evicted = sweep(profiles, idle, now) + sweep(endpoints, idle, now);
    evicted += sweep(policies, idle, now);
    evicted += metrics.evictIdleTargets(idle);
    if (heapGiveBack.swept(evicted)) {
      metrics.counter("discovery_heap_give_back_total").increment();
    }
    stale("profile");
    stale("endpoints");
    stale("inbound");
    var g = metrics.gauge("discovery_destinations");
    g.reset();
    g.add(profiles.size());
  }

  /** Closes and forgets the watches of {@code map} idle for {@code idle}; how many it closed. */
  private static <K, W extends Watch<?, ?>> int sweep(Map<K, W> map, Duration idle, long now) {
    int[] closed = {0};
    for (K key : map.keySet()) {
      map.computeIfPresent(
          key,
          (k, w) -> {
            if (w.idleFor(idle, now)) {
              w.close();
              closed[0]++;
              return null;
            }
            return w;
          });
    }
    return closed[0];
  }

  /** How many destinations (profile streams) are watched now. */
  public int destinations() {
    return profiles.size();
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
   * never answered. Used until {@code userGone} completes; not capped (at most one per port).
   */
  public CompletableFuture<Handling> inbound(int port, Future<?> userGone) {
    return inboundPolicy(port, userGone).thenApply(InboundPolicy::handling);
  }

  /**
   * One of this pod's ports under its inbound policy: handling and authorizations; Detect and no
   * authorizations (every client admitted) when the control plane never answered.
   */
  public CompletableFuture<InboundPolicy> inboundPolicy(int port, Future<?> userGone) {
    Watch<Server, InboundPolicy> w =
        use(
            policies,
            port,
            Integer.MAX_VALUE,
            userGone,
            p ->
                new Watch<>(
                    "inbound " + p,
                    obs ->
                        stream(
                            WATCH_PORT,
                            PortSpec.newBuilder()
                                .setWorkload(config.namespace() + ":" + config.pod())
                                .setPort(p)
                                .build(),
                            Server.parser(),
                            obs),
                    null,
                    (old, m) -> InboundPolicy.of(m),
                    scheduler,
                    config.limits(),
                    () -> stale("inbound")));
    Objects.requireNonNull(w);
    return w.firstWithin(config.firstAnswerWait())
        .thenApply(v ->
            v == null ? new InboundPolicy(new Handling.Detect(config.detectTimeout()), null) : v);
  }

  private void sweepQuietly() {
    try {
      sweep();
    } catch (RuntimeException e) {
      // The sweep runs again on the next tick; a scheduled task that throws would stop it.
      org.slf4j.LoggerFactory.getLogger(Discovery.class).warn("discovery sweep failed", e);
    }
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

  private <M> GrpcChannel.Call stream(
      String method,
      com.google.protobuf.MessageLite request,
      com.google.protobuf.Parser<M> parser,
      GrpcChannel.Listener<M> listener) {
    return channel.call(method, request, parser, MAX_MESSAGE_BYTES, null, listener);
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
    channel.close();
  }
}
