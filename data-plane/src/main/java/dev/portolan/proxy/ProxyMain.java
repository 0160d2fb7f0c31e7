package dev.portolan.proxy;

import dev.portolan.proxy.admin.AdminServer;
import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.connection.DetectionGate;
import dev.portolan.proxy.connection.HttpProxies;
import dev.portolan.proxy.connection.ProxyConnection;
import dev.portolan.proxy.connection.ServerFirstCache;
import dev.portolan.proxy.discovery.ControlPlaneTls;
import dev.portolan.proxy.discovery.Discovery;
import dev.portolan.proxy.http.HttpContext;
import dev.portolan.proxy.http1.Http1Upstreams;
import dev.portolan.proxy.http2.Http2Upstreams;
import dev.portolan.proxy.identity.IdentityConfig;
import dev.portolan.proxy.identity.ProxyIdentity;
import dev.portolan.proxy.inbound.InboundRouter;
import dev.portolan.proxy.metrics.HeapGiveBack;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.DataLoops;
import dev.portolan.proxy.net.LoopbackLeg;
import dev.portolan.proxy.outbound.OutboundRouter;
import dev.portolan.proxy.relay.IdleHandler;
import dev.portolan.proxy.relay.Relayer;
import dev.portolan.proxy.route.Route;
import dev.portolan.proxy.tls.MeshTls;
import dev.portolan.proxy.training.Training;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The sidecar proxy: outbound 4140 (loopback), inbound 4143, admin 4191. Configured by environment
 * (docs/proxy.md). Its one optional argument runs it for a JDK AOT cache to be recorded from
 * (docs/proxy.md, <i>Start-up</i>): {@code --exit-when-ready} stops it as soon as it is ready;
 * {@code --train} first sends traffic of every kind through it on loopback ({@link Training}).
 */
public final class ProxyMain {
  /** How a run ends. */
  enum Mode {
    SERVE,
    EXIT_WHEN_READY,
    TRAIN
  }

  static final int TRAINING_EXCHANGES = 2_000;

  /**
   * How often the detection give-back looks at the evictions (docs/proxy.md, "Memory"): in a storm
   * of 3,000 connections a second it collects about twice a second.
   */
  static final long GIVE_BACK_PERIOD_MS = 250;

  private ProxyMain() {}

  public static void main(String[] args) throws Exception {
    // Netty 4.2 probes JFR for its allocator events, which loads ~100 JDK Flight Recorder classes
    // that a sidecar never uses (metaspace is a good share of its memory). A -D on the command
    // line still wins.
    if (System.getProperty("io.netty.jfr.enabled") == null) {
      System.setProperty("io.netty.jfr.enabled", "false");
    }
    // Netty's default leak detection samples one buffer in 128 and records a stack trace for it:
    // about a tenth of the proxy's user-space CPU on a relayed redis load. Tests turn it on
    // (-Dio.netty.leakDetection.level=paranoid); so can an operator chasing a leak.
    if (System.getProperty("io.netty.leakDetection.level") == null) {
      System.setProperty("io.netty.leakDetection.level", "disabled");
    }
    ProxyConfig config;
    IdentityConfig identityConfig;
    Mode mode;
    try {
      mode = modeOf(args);
      ProxyConfig.logLevelOf(System.getenv()).apply();
      config = ProxyConfig.fromEnv(System.getenv());
      identityConfig = identityConfigOf(System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("portolan-proxy: " + e.getMessage());
      System.exit(2);
      return;
    }
    LoopbackLeg.use(config.loopbackCongestion());
    Metrics metrics = new Metrics();
    metrics
        .gauge(
            "proxy_info",
            "transport",
            config.ioTransport().label(),
            "workers",
            Integer.toString(config.workers()))
        .increment();
    // One event loop per core: connections stay on one thread (upstream joins the client's loop).
    EventLoopGroup data =
        new DataLoops(config.workers(), config.ioTransport().handlers(), config.taskQuantum());
    EventLoopGroup admin = new MultiThreadIoEventLoopGroup(1, config.ioTransport().handlers());
    ProxyIdentity identity = null;
    MeshTls mesh = null;
    CountDownLatch certified = new CountDownLatch(1);
    if (identityConfig.mode() != IdentityConfig.Mode.DISABLED) {
      try {
        identity =
            ProxyIdentity.start(
                identityConfig,
                admin,
                config.ioTransport().socketChannel(),
                MeshTls::serverVerifier);
      } catch (IllegalArgumentException e) {
        System.err.println("portolan-proxy: identity: " + e.getMessage());
        System.exit(2);
        return;
      }
      mesh = MeshTls.create(identity);
      ProxyIdentity id = identity;
      // After MeshTls's own listener: once this counts down, the contexts are built.
      LongAdder expiry = metrics.gauge("identity_cert_expiration_timestamp_seconds");
      LongAdder renewals = metrics.counter("identity_cert_refresh_total");
      identity.onCertificate(c -> {
        expiry.reset();
        expiry.add(c.expiry().getEpochSecond());
        renewals.increment();
        certified.countDown();
      });
    } else {
      certified.countDown();
    }
    metrics
        .gauge(
            "identity_info",
            "mode",
            identityConfig.mode().name().toLowerCase(java.util.Locale.ROOT),
            "identity",
            identity == null ? "" : identity.identity(),
            "tls_provider",
            mesh == null ? "none" : mesh.providerName())
        .increment();
    Discovery discovery =
        new Discovery(
            new Discovery.Settings(
                config.policyServer(),
                config.namespace(),
                config.pod(),
                config.discoveryWait(),
                config.detectTimeout(),
                config.ioTransport().socketChannel(),
                config.discoveryLimits(),
                config.contextToken()),
            metrics,
            admin,
            identity != null && identityConfig.mode() == IdentityConfig.Mode.TLS
                ? ControlPlaneTls.create(identity, identityConfig.serverName())
                : null);
    ServerFirstCache serverFirst = new ServerFirstCache(10_000, Duration.ofMinutes(10));

    P2c balancer = new P2c();
    OutboundRouter outbound =
        new OutboundRouter(
            discovery,
            balancer,
            config.outboundPort(),
            config.inboundPort(),
            config.detectTimeout(),
            mesh != null);
    InboundRouter inbound =
        new InboundRouter(
            discovery,
            metrics,
            config.inboundPort(),
            config.outboundPort(),
            config.adminPort(),
            mesh,
            config.skipInboundPorts(),
            config.transportHeaderTimeout(),
            ProxyConfig.durationOf(
                System.getenv(), "PORTOLAN_INBOUND_TLS_PEEK", InboundRouter.DEFAULT_PEEK_WINDOW));
    Http1Upstreams http1 =
        new Http1Upstreams(config.connectTimeout(), config.idleTimeout(), metrics, mesh);
    Http2Upstreams http2 =
        new Http2Upstreams(config.connectTimeout(), config.idleTimeout(), metrics, mesh);
    // The relay of every opaque pair, chosen once for the proxy's transport.
    Relayer relayer = Relayer.of(config.ioTransport(), config.nativeRelay());
    // One cap on connections in detection for both directions: it bounds the proxy's memory.
    DetectionGate detecting =
        new DetectionGate(config.maxDetecting(), metrics.gauge("tcp_detecting"));
    // A storm of evicted connections grows the heap to its maximum: given back as it goes.
    HeapGiveBack detectionGiveBack =
        new HeapGiveBack(HeapGiveBack.AFTER_DETECTION_EVICTIONS, System::gc);
    admin
        .next()
        .scheduleWithFixedDelay(
            () -> {
              if (detectionGiveBack.swept(detecting.takeEvicted())) {
                metrics.counter("tcp_detect_heap_give_back_total").increment();
              }
            },
            GIVE_BACK_PERIOD_MS,
            GIVE_BACK_PERIOD_MS,
            TimeUnit.MILLISECONDS);
    ProxyConnection.Settings out =
        settings(
            config,
            serverFirst,
            new HttpProxies(new HttpContext("outbound", balancer, metrics), http1, http2),
            relayer,
            mesh,
            detecting);
    ProxyConnection.Settings in =
        settings(
            config,
            serverFirst,
            new HttpProxies(new HttpContext("inbound", balancer, metrics), http1, http2),
            relayer,
            mesh,
            detecting);

    Shutdown shutdown = new Shutdown(config.shutdownGrace());
    // The app's connections reach the outbound listener over loopback (iptables REDIRECT).
    LoopbackLeg.listener(
        shutdown.listener(
            listen(
                data, "127.0.0.1", config.outboundPort(), out, outbound::route, config, shutdown)));
    // Also the pod's inbound connections that iptables redirects here.
    shutdown.listener(
        listen(
            data,
            config.bindAddress(),
            config.inboundPort(),
            in,
            inbound::route,
            config,
            shutdown));
    ProxyIdentity readyIdentity = identity;
    // Ready once identity (when on) has its first certificate: until then connections that need
    // it would be refused.
    AdminServer.start(
        admin,
        config.ioTransport(),
        config.bindAddress(),
        config.adminPort(),
        metrics,
        () -> !shutdown.draining() && (readyIdentity == null || readyIdentity.isReady()));
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> {
              // On SIGTERM: finish what is open first (see Shutdown for why a hook). Installed
              // before the wait for a certificate: a proxy stopped meanwhile drains as well.
              try {
                shutdown.drain(() -> {
                  for (var loop : data) {
                    loop.execute(() -> {
                      http1.drain();
                      http2.drain(config.shutdownGrace());
                    });
                  }
                });
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              discovery.close();
              if (readyIdentity != null) {
                readyIdentity.close();
              }
              data.shutdownGracefully(0, 2, TimeUnit.SECONDS);
              admin.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            }));
    if (identity != null && certified.getCount() > 0) {
      System.out.printf(
          "portolan-proxy waiting for its first certificate: identity=%s from %s (%s)%n",
          identity.identity(),
          identityConfig.address(),
          identityConfig.mode().name().toLowerCase(java.util.Locale.ROOT));
      System.out.flush();
    }
    certified.await();
    System.out.printf(
        "portolan-proxy ready: inbound=%d outbound=%d admin=%d policy-server=%s workload=%s/%s"
            + " service-account=%s transport=%s workers=%d loopback-congestion=%s log-level=%s"
            + " identity=%s tls=%s%n",
        config.inboundPort(),
        config.outboundPort(),
        config.adminPort(),
        config.policyServer(),
        config.namespace(),
        config.pod(),
        config.serviceAccount(),
        config.ioTransport().label(),
        config.workers(),
        config.loopbackCongestion().isEmpty() ? "kernel" : config.loopbackCongestion(),
        config.logLevel().label(),
        identity == null ? "disabled" : identity.identity(),
        mesh == null ? "none" : mesh.providerName());
    System.out.flush();
    if (mode == Mode.TRAIN) {
      try {
        Training.Result r =
            Training.run(
                data,
                config.ioTransport().serverChannel(),
                config.detectTimeout(),
                route ->
                    listen(
                        data,
                        "127.0.0.1",
                        0,
                        out,
                        ch -> CompletableFuture.completedFuture(route),
                        config,
                        null),
                TRAINING_EXCHANGES);
        System.out.printf(
            "portolan-proxy training: %d exchanges each of HTTP/1.1, HTTP/2 and TCP through the"
                + " proxy; the first of each took %d, %d and %d µs%n",
            r.exchanges(), r.firstHttp1Micros(), r.firstHttp2Micros(), r.firstTcpMicros());
      } catch (Exception e) {
        System.err.println("portolan-proxy: training failed: " + e);
        System.exit(1);
      }
    }
    if (mode != Mode.SERVE) {
      System.exit(0); // through the shutdown hook, as on SIGTERM
    }
  }

  /**
   * Identity's settings (docs/proxy.md): {@code PORTOLAN_IDENTITY} defaults to {@code disabled}
   * here until the injector sets it on every meshed pod; the identity package's own default is
   * {@code tls}.
   */
  static IdentityConfig identityConfigOf(Map<String, String> env) {
    Map<String, String> withDefault = new HashMap<>(env);
    withDefault.putIfAbsent("PORTOLAN_IDENTITY", "disabled");
    return IdentityConfig.fromEnv(withDefault);
  }

  /** The command line: nothing, {@code --exit-when-ready} or {@code --train}; nothing else. */
  static Mode modeOf(String[] args) {
    if (args.length == 0) {
      return Mode.SERVE;
    }
    Mode mode =
        switch (args[0]) {
          case "--exit-when-ready" -> Mode.EXIT_WHEN_READY;
          case "--train" -> Mode.TRAIN;
          default -> null;
        };
    if (mode == null || args.length > 1) {
      String bad = mode == null ? args[0] : args[1];
      throw new IllegalArgumentException(
          "unknown argument '"
              + bad
              + "' (the proxy is configured by environment; its one optional argument is"
              + " --exit-when-ready or --train)");
    }
    return mode;
  }

  private static ProxyConnection.Settings settings(
      ProxyConfig c,
      ServerFirstCache serverFirst,
      HttpProxies http,
      Relayer relayer,
      @Nullable MeshTls mesh,
      DetectionGate detecting) {
    return new ProxyConnection.Settings(
        http.shared().direction(),
        c.serverFirstWindow(),
        c.connectTimeout(),
        c.idleTimeout(),
        http.shared().metrics(),
        serverFirst,
        http.shared().balancer(),
        http,
        relayer,
        mesh,
        detecting);
  }

  private static Channel listen(
      EventLoopGroup group,
      String host,
      int port,
      ProxyConnection.Settings settings,
      Function<Channel, CompletableFuture<Route>> router,
      ProxyConfig config,
      @Nullable Shutdown shutdown)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(group)
        .channel(config.ioTransport().serverChannel())
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(
            new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                if (shutdown != null) {
                  shutdown.track(ch);
                }
                ch.pipeline()
                    .addLast(new IdleHandler(config.idleTimeout()))
                    .addLast(new ProxyConnection(settings, router));
              }
            })
        .bind(host, port)
        .sync()
        .channel();
  }
}
