package dev.portolan.policy.grpc;

import dev.portolan.policy.config.PortolanProperties;
import dev.portolan.policy.explain.Explainer;
import dev.portolan.policy.identity.IdentityProperties;
import dev.portolan.policy.identity.IdentityService;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.metrics.PortolanMetrics;
import dev.portolan.policy.metrics.StreamRegistry;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.source.SyncState;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * The proxy-facing gRPC server (default port 8086): Destination, InboundServerPolicies, portolan.v1
 * Diagnostics, grpc.health.v1 (NOT_SERVING until the sources have synced) and reflection, within
 * the limits of {@link LimitsProperties} (docs/operations.md, Limits).
 */
@Component
public class GrpcServer implements SmartLifecycle {
  private final PortolanProperties props;
  private final Index index;
  private final MeshSettings settings;
  private final SyncState sync;
  private final PortolanMetrics metrics;
  private final StreamRegistry streams;
  private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);
  private final Explainer explainer;
  private final LimitsProperties limits;
  private final HealthStatusManager health = new HealthStatusManager();
  // Stream drains never block (a drain writes only while its stream is ready, and writing only
  // queues for the transport), so a thread per core runs them. They are Netty's own threads:
  // each keeps its buffer-pool cache from one drain to the next, where a fresh thread per drain
  // (virtual threads) built a new cache for every stream written to (docs/benchmarks.md).
  private final ExecutorService drains =
      Executors.newFixedThreadPool(
          Math.max(2, Runtime.getRuntime().availableProcessors()),
          new DefaultThreadFactory("portolan-stream-drain", true));
  private final ScheduledThreadPoolExecutor timers = timers();
  private volatile @Nullable Server server;
  // Services other packages contribute as beans (identity's Certify): set by Spring before start.
  private List<BindableService> extraServices = List.of();
  // Where to listen and how to stop; set by Spring before start (defaults when built by hand).
  private GrpcListenerProperties listener = GrpcListenerProperties.defaults();
  private final GrpcDrain drain = new GrpcDrain();
  private @Nullable GrpcTls tls;
  // Readiness went down (the context is closing): health stays NOT_SERVING whatever the sources.
  private volatile boolean refusingTraffic;

  @Autowired
  public GrpcServer(
      PortolanProperties props,
      Index index,
      MeshSettings settings,
      SyncState sync,
      PortolanMetrics metrics,
      StreamRegistry streams,
      Explainer explainer,
      LimitsProperties limits) {
    this.props = props;
    this.index = index;
    this.settings = settings;
    this.sync = sync;
    this.metrics = metrics;
    this.streams = streams;
    this.explainer = explainer;
    this.limits = limits;
  }

  /** With the default limits. */
  public GrpcServer(
      PortolanProperties props,
      Index index,
      MeshSettings settings,
      SyncState sync,
      PortolanMetrics metrics,
      StreamRegistry streams,
      Explainer explainer) {
    this(props, index, settings, sync, metrics, streams, explainer, LimitsProperties.defaults());
  }

  private static ScheduledThreadPoolExecutor timers() {
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread th = new Thread(r, "portolan-stream-timers");
              th.setDaemon(true);
              return th;
            });
    // A stream that becomes writable again cancels its check: drop it at once, not in 30 s.
    t.setRemoveOnCancelPolicy(true);
    return t;
  }

  @Autowired(required = false)
  public void setExtraServices(List<BindableService> services) {
    this.extraServices = List.copyOf(services);
  }

  /** TLS on the port from {@code portolan.grpc.tls} (docs/identity.md); unset: plaintext. */
  @Autowired(required = false)
  public void setTls(
      GrpcTlsProperties tls,
      ObjectProvider<IdentityService> identity,
      ObjectProvider<IdentityProperties> identityProps) {
    this.tls = GrpcTls.fromSettings(tls, identity.getIfAvailable(), identityProps.getIfAvailable());
  }

  @Autowired(required = false)
  public void setListener(GrpcListenerProperties listener) {
    this.listener = listener;
  }

  @Override
  public void start() {
    health.setStatus("", ServingStatus.NOT_SERVING);
    sync.onChange(this::updateHealth);
    GrpcLogFilters.install();
    Pumps pumps =
        new Pumps(
            drains,
            timers,
            metrics,
            limits,
            new RepeatedWarning(log, "streams closed for not reading", limits.warningInterval()),
            new RepeatedWarning(log, "streams failed", limits.warningInterval()));
    ConnectionLimits connectionLimits = new ConnectionLimits(limits, metrics);
    try {
      InetSocketAddress address = listener.socketAddress(props.grpc().port());
      GrpcTls t = tls;
      NettyServerBuilder builder =
          t == null
              ? NettyServerBuilder.forAddress(address)
              : NettyServerBuilder.forAddress(address, t.credentials());
      if (t != null) {
        builder.intercept(new PeerNamespaceCheck(t.domain(), metrics, limits));
      }
      server =
          builder
              .intercept(drain)
              .addService(new DestinationService(index, settings, pumps, streams))
              .addService(new InboundPolicyService(index, pumps, streams))
              .addService(new DiagnosticsService(explainer))
              .addService(health.getHealthService())
              .addService(ProtoReflectionServiceV1.newInstance())
              .addServices(extraServices.stream().map(BindableService::bindService).toList())
              .addTransportFilter(connectionLimits)
              .intercept(connectionLimits)
              .addStreamTracerFactory(connectionLimits.oversizeCounter())
              .addStreamTracerFactory(StreamResets.tracerFactory())
              // The interceptor refuses beyond the limit with a status a client can read; HTTP/2
              // itself holds a client that ignores those refusals at twice the limit.
              .maxConcurrentCallsPerConnection(
                  (int) Math.min(Integer.MAX_VALUE, 2L * limits.maxStreamsPerConnection()))
              .maxInboundMessageSize(
                  (int) Math.min(Integer.MAX_VALUE, limits.maxRequestSize().toBytes()))
              .permitKeepAliveTime(10, TimeUnit.SECONDS)
              .permitKeepAliveWithoutCalls(true)
              .build()
              .start();
    } catch (IOException e) {
      InetSocketAddress at = listener.socketAddress(props.grpc().port());
      throw new UncheckedIOException("cannot start gRPC on " + at, e);
    }
    updateHealth();
  }

  private void updateHealth() {
    ServingStatus s =
        sync.allSynced() && !refusingTraffic ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    health.setStatus("", s);
    health.setStatus("io.linkerd.proxy.destination.Destination", s);
    health.setStatus("io.linkerd.proxy.inbound.InboundServerPolicies", s);
  }

  /** The bound port (the chosen one when configured as 0). */
  public int port() {
    Server s = server;
    return s == null ? -1 : s.getPort();
  }

  /**
   * gRPC health follows the actuator's readiness: Spring Boot turns readiness to REFUSING_TRAFFIC
   * first thing when the context closes (SIGTERM), before any bean stops, so proxies watching
   * health and the kubelet probing readiness learn it at the same moment.
   */
  @EventListener
  public void onReadiness(AvailabilityChangeEvent<ReadinessState> event) {
    refusingTraffic = event.getState() == ReadinessState.REFUSING_TRAFFIC;
    updateHealth();
  }

  /**
   * Stopped before the actuator's HTTP server (Spring Boot stops its graceful-shutdown lifecycle at
   * {@code DEFAULT_PHASE - 1024} and the server at {@code - 2048}, later phases stopping first):
   * while gRPC drains, readiness keeps answering DOWN instead of refusing connections.
   */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE;
  }

  /**
   * Drains: NOT_SERVING, GOAWAY, UNAVAILABLE for the streams still open after the drain delay, all
   * within the drain period (docs/operations.md, "Shutdown and drain").
   */
  @Override
  public void stop() {
    Server s = server;
    if (s != null) {
      health.enterTerminalState();
      try {
        drain.drain(s, listener.drainDelay(), listener.drainPeriod());
      } catch (InterruptedException e) {
        s.shutdownNow();
        Thread.currentThread().interrupt();
      }
      server = null;
    }
    drains.shutdownNow();
    timers.shutdownNow();
  }

  @Override
  public boolean isRunning() {
    return server != null;
  }
}
