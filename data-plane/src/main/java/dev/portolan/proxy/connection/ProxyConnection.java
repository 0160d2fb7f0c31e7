package dev.portolan.proxy.connection;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.detect.Detection;
import dev.portolan.proxy.detect.ProtocolClassifier;
import dev.portolan.proxy.http.Draining;
import dev.portolan.proxy.metrics.ByteCounter;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.EarlyBytes;
import dev.portolan.proxy.net.IoTransport;
import dev.portolan.proxy.relay.Relayer;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.HttpVersion;
import dev.portolan.proxy.route.Route;
import dev.portolan.proxy.tls.MeshTls;
import dev.portolan.proxy.tls.MeshTlsSession;
import dev.portolan.proxy.tls.MeshUpstream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handles one accepted connection: route it, detect its protocol if the route says so, connect
 * upstream on the same event loop, then relay. Detection reads until the classifier decides or the
 * deadline passes (TCP). A client silent past the server-first window starts a race (docs/design/
 * detection.md): the upstream is dialled and whoever speaks first wins. A server greeting flows at
 * once and the destination is remembered; client bytes go on to the classifier within the same
 * deadline, so an HTTP client that waits before its first request is still proxied as HTTP (the
 * dialled connection is closed: requests are balanced one by one) and anything else is relayed over
 * the connection already made. The race is {@link Racing}'s; this class dials for it and acts on
 * what it decides.
 */
public final class ProxyConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ProxyConnection.class);

  /** Shared by the listeners of one direction. */
  public record Settings(
      String direction,
      Duration serverFirstWindow,
      Duration connectTimeout,
      Duration idleTimeout,
      Metrics metrics,
      ServerFirstCache serverFirst,
      P2c balancer,
      HttpProxies http,
      Relayer relayer,
      @Nullable MeshTls mesh,
      DetectionGate detecting) {}

  private final Settings s;
  private final Function<Channel, CompletableFuture<@Nullable Route>> router;
  private @Nullable ByteBuf buffered;
  private @Nullable Route route;
  private @Nullable Channel accepted;
  private boolean upstreamStarted;
  // A read asked of Netty and not yet answered: its bytes would arrive in this pipeline.
  private boolean readPending;
  private @Nullable ScheduledFuture<?> windowTimer;
  private @Nullable ScheduledFuture<?> deadlineTimer;
  // The proxy began to shut down while this connection was still routed or detected: told again
  // once an HTTP proxy serves it, which then makes its first response the last.
  private @Nullable Draining draining;
  // The server-first race, once the client stayed silent for the window.
  private @Nullable Racing race;
  private boolean httpTaken;
  // Detection began (its buffer is made by the first read).
  private boolean detecting;
  // Its place under the cap while in detection (null before and after), and whether it lost it.
  private DetectionGate.@Nullable Ticket ticket;
  private boolean evicted;

  /**
   * @param router the listener's routing: a route, or null to refuse the connection (closed)
   */
  public ProxyConnection(Settings s, Function<Channel, CompletableFuture<@Nullable Route>> router) {
    this.s = s;
    this.router = router;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel client = ctx.channel();
    router
        .apply(client)
        .whenComplete((r, err) ->
            ctx.executor()
                .execute(() -> {
                  if (err != null || r == null) {
                    client.close();
                  } else {
                    start(ctx, r);
                  }
                }));
  }

  private void start(ChannelHandlerContext ctx, Route r) {
    route = r;
    accepted = ctx.channel();
    // Bytes that followed a transport header in the same read: written upstream first.
    ByteBuf early = EarlyBytes.take(ctx.channel());
    if (early != null) {
      buffered = early;
    }
    readPending = EarlyBytes.takeReadPending(ctx.channel());
    if (!ctx.channel().isActive()) {
      release();
      return;
    }
    switch (r.handling()) {
      case Handling.Codec(HttpVersion version) -> {
        decision(ctx, "declared " + version.label() + " (no detection)");
        http(ctx, version);
      }
      case Handling.Opaque() -> {
        decision(ctx, "opaque (no detection)");
        connect(ctx, false);
      }
      case Handling.Detect(Duration timeout) -> detect(ctx, timeout);
    }
  }

  /** Reads for detection within {@code timeout}, unless the destination is known to speak first. */
  private void detect(ChannelHandlerContext ctx, Duration timeout) {
    if (s.serverFirst().isServerFirst(route().upstream())) {
      decision(ctx, "known to speak first (no detection)");
      result("server_first");
      connect(ctx, false);
      return;
    }
    // No buffer until bytes arrive (channelRead makes one of their size): a silent connection,
    // and a connect storm's backlog, hold none.
    detecting = true;
    ticket = s.detecting().enter(() -> ctx.executor().execute(() -> evict(ctx)));
    windowTimer =
        ctx.executor()
            .schedule(
                () -> serverFirstWindow(ctx),
                s.serverFirstWindow().toMillis(),
                TimeUnit.MILLISECONDS);
    deadlineTimer =
        ctx.executor().schedule(() -> deadline(ctx), timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (buffered != null && buffered.isReadable()) {
      classify(ctx); // bytes a handler in front (the inbound TLS peek) read already
      return;
    }
    readPending = true;
    ctx.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    readPending = false;
    Racing r = race;
    if (r != null && r.running() && msg instanceof ByteBuf in) {
      r.read(in);
      return;
    }
    if (upstreamStarted && msg instanceof ByteBuf early) {
      // Read while the upstream connects, although no read was asked for: Netty reads at once when
      // the client half-closes (a request and its FIN in one go). Kept, and written first.
      append(ctx, early);
      return;
    }
    if (!detecting || !(msg instanceof ByteBuf in)) {
      // Bytes before routing finished cannot happen (AUTO_READ off).
      ReferenceCountUtil.release(msg);
      return;
    }
    append(ctx, in);
    classify(ctx);
  }

  /** Adds the client's bytes {@code in} (released) to those read so far. */
  void append(ChannelHandlerContext ctx, ByteBuf in) {
    ByteBuf b = buffered;
    if (b == null) {
      // The read's own buffer is sized for reads to come (2 KiB at first): copied into one of
      // the bytes' size, which is what a connection that holds after part of a message keeps.
      b = ctx.alloc().buffer(in.readableBytes());
      buffered = b;
    }
    b.writeBytes(in);
    in.release();
  }

  private void classify(ChannelHandlerContext ctx) {
    Detection d = classified(ctx);
    if (d == null) {
      return;
    }
    if (d instanceof Detection.Tls(String sni) && sni != null) {
      s.metrics().tlsSni(s.direction(), route().target(), sni); // TLS from the app: SNI only
    }
    decided(ctx, d.label(), httpVersion(d));
  }

  /**
   * What the classifier makes of the bytes read so far, or null if it needs more: then another read
   * is asked for.
   */
  @Nullable Detection classified(ChannelHandlerContext ctx) {
    ByteBuf buffered = Objects.requireNonNull(this.buffered);
    byte[] bytes = new byte[buffered.readableBytes()];
    buffered.getBytes(buffered.readerIndex(), bytes);
    Detection d = ProtocolClassifier.classify(bytes);
    if (d instanceof Detection.NeedMore) {
      spoke();
      readPending = true;
      ctx.read();
      return null;
    }
    return d;
  }

  /** Client bytes are read but not classified yet (nor handed on). */
  boolean hasBufferedBytes() {
    ByteBuf b = buffered;
    return b != null && b.isReadable();
  }

  /** Bytes read and undecided: first in line for eviction (see DetectionGate). */
  private void spoke() {
    DetectionGate.Ticket t = ticket;
    if (t != null) {
      s.detecting().spoke(t);
    }
  }

  /** The codec for what detection found, or null: bytes to relay. */
  static @Nullable HttpVersion httpVersion(Detection d) {
    return switch (d) {
      case Detection.Http1() -> HttpVersion.HTTP_1;
      case Detection.Http2() -> HttpVersion.HTTP_2;
      default -> null;
    };
  }

  /**
   * @param label the detection result counted and logged
   * @param version the codec to hand the connection to, or null to relay its bytes
   */
  private void decided(ChannelHandlerContext ctx, String label, @Nullable HttpVersion version) {
    if (upstreamStarted || !ctx.channel().isActive()) {
      return;
    }
    cancelTimers();
    decision(ctx, "detected " + label);
    result(label);
    if (version != null) {
      http(ctx, version);
    } else {
      connect(ctx, false);
    }
  }

  /** HTTP: hand the connection (and the bytes read so far) to the per-request proxy. */
  void http(ChannelHandlerContext ctx, HttpVersion version) {
    upstreamStarted = true;
    httpTaken = true;
    Channel client = ctx.channel();
    opened(client);
    client.pipeline().addFirst("bytes", new ByteCounter(readBytes(), writtenBytes()));
    ctx.pipeline().remove(this);
    ByteBuf bytes = buffered;
    buffered = null;
    s.http().take(client, bytes, route(), version);
    if (draining != null) {
      client.pipeline().fireUserEventTriggered(draining);
    }
  }

  /** The route: every step after {@link #start} has one. */
  Route route() {
    return Objects.requireNonNull(route, "not routed yet");
  }

  /**
   * The connection's labels: {@code tls="true"} and the peer's identity under mesh TLS ({@code
   * server_id} outbound, {@code client_id} inbound, as Linkerd's proxy labels them). A connection
   * handed to HTTP has no single upstream: its requests' connections carry their own server_id.
   */
  private String[] labels() {
    Route r = route();
    if (r.mesh() != null && !httpTaken) {
      return Metrics.src(s.direction(), r.target(), "server_id", r.mesh().identity());
    }
    MeshTlsSession tls = accepted == null ? null : MeshTlsSession.of(accepted);
    if (tls != null) {
      String id = tls.peerIdentity();
      return Metrics.src(s.direction(), r.target(), "client_id", id == null ? "" : id);
    }
    return Metrics.src(s.direction(), r.target());
  }

  private LongAdder readBytes() {
    return s.metrics().counter("tcp_read_bytes_total", labels());
  }

  private LongAdder writtenBytes() {
    return s.metrics().counter("tcp_write_bytes_total", labels());
  }

  /** The server-first window passed: dials for the race, if {@link Racing#start} starts one. */
  private void serverFirstWindow(ChannelHandlerContext ctx) {
    Racing r = Racing.start(this, s, ctx);
    if (r != null) {
      race = r;
      connect(ctx, true);
    }
  }

  /**
   * Over the cap of connections in detection, this one was the oldest: closed, not relayed (it has
   * sent no complete first message; relaying would turn slowloris into upstream connections).
   */
  private void evict(ChannelHandlerContext ctx) {
    if (ticket == null || evicted) {
      return; // decided (or closed) before the eviction reached this loop
    }
    ticket = null;
    evicted = true;
    decision(ctx, "evicted: over the cap of " + s.detecting().cap() + " connections in detection");
    ctx.channel().close();
  }

  /** The client half-closed in detection: relayed as TCP, with its FIN, as it stands. */
  private void clientEnded(ChannelHandlerContext ctx) {
    Racing r = race;
    if (r != null) {
      r.clientEnded();
    } else {
      decided(ctx, "eof", null);
    }
  }

  /** The detection deadline: TCP, over the upstream already dialled if racing. */
  private void deadline(ChannelHandlerContext ctx) {
    Racing r = race;
    if (r != null) {
      r.deadline();
    } else {
      decided(ctx, "read_timeout", null);
    }
  }

  /** One debug line per connection and decision: why the proxy treats it as it does. */
  void decision(ChannelHandlerContext ctx, String why) {
    if (log.isDebugEnabled()) {
      log.debug(
          "{} {} -> {} via {}: {}",
          s.direction(),
          ctx.channel().remoteAddress(),
          route().target(),
          route().upstream(),
          why);
    }
  }

  private void connect(ChannelHandlerContext ctx, boolean racing) {
    upstreamStarted = true;
    Channel client = ctx.channel();
    LongAdder read = readBytes();
    LongAdder written = writtenBytes();
    Route r = route();
    IoTransport.dial(client.eventLoop(), s.connectTimeout())
        .option(ChannelOption.AUTO_READ, false)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .connect(r.dialled(), upstream -> {}) // the relay installs its handlers on connect
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (httpTaken) {
                    f.channel().close(); // the race ended as HTTP while this connected
                    return;
                  }
                  if (!f.isSuccess()) {
                    s.metrics()
                        .counter(
                            "tcp_close_total", Metrics.plus(labels(), "errno", "connect_failed"))
                        .increment();
                    release();
                    client.close();
                    return;
                  }
                  Channel upstream = f.channel();
                  if (r.mesh() == null) {
                    ready(ctx, client, upstream, racing, read, written);
                    return;
                  }
                  // Mesh TLS first; a client gone meanwhile takes the handshake with it.
                  client.closeFuture().addListener(x -> upstream.close());
                  MeshUpstream.secure(
                      upstream,
                      s.mesh(),
                      r.mesh(),
                      r.upstream().getPort(),
                      s.metrics(),
                      r.target(),
                      ok -> {
                        if (httpTaken) {
                          upstream.close();
                        } else if (ok && client.isActive()) {
                          ready(ctx, client, upstream, racing, read, written);
                        } else {
                          release();
                          client.close();
                          upstream.close();
                        }
                      });
                });
  }

  /** The upstream is connected (and secured, under mesh TLS): race, or relay. */
  private void ready(
      ChannelHandlerContext ctx,
      Channel client,
      Channel upstream,
      boolean racing,
      LongAdder read,
      LongAdder written) {
    if (racing) {
      Objects.requireNonNull(race).connected(client, upstream, read, written);
    } else {
      joined(ctx, client, upstream, false, read, written);
    }
  }

  /** The pair is decided: relay. */
  void joined(
      ChannelHandlerContext ctx,
      Channel client,
      Channel upstream,
      boolean racing,
      LongAdder read,
      LongAdder written) {
    opened(client);
    // TCP balances on connections in flight (no latency sample).
    P2c.Pending pick = s.balancer().begin(route().upstream(), System.nanoTime());
    client
        .closeFuture()
        .addListener(x -> {
          pick.abandoned();
          upstream.close();
        });
    ctx.pipeline().remove(this);
    relay(client, upstream, racing, read, written);
  }

  /** Writes the bytes read for detection, if any, and joins the pair to a relay. */
  private void relay(
      Channel client, Channel upstream, boolean racing, LongAdder read, LongAdder written) {
    ChannelFuture detectionBytes;
    if (buffered != null && buffered.isReadable()) {
      read.add(buffered.readableBytes());
      detectionBytes = upstream.writeAndFlush(buffered);
      buffered = null;
    } else {
      release();
      detectionBytes = upstream.newSucceededFuture();
    }
    // A native relay takes both sockets over, so nothing may be pending in Netty: no read (a
    // detection deadline that fired mid-read keeps the pipeline relay), no write.
    Relayer relayer = s.relayer();
    // Nor may TLS: its records are made and read in the pipeline.
    boolean tls =
        client.pipeline().get(SslHandler.class) != null
            || upstream.pipeline().get(SslHandler.class) != null;
    // Nor a FIN Netty has reported already: its event came before the relay was there, which
    // passes it on at its join.
    boolean ended = client instanceof DuplexChannel d && d.isInputShutdown();
    if (!relayer.takesSockets() || racing || readPending || tls || ended) {
      Relayer.NETTY.join(client, upstream, read, written, s.idleTimeout());
      return;
    }
    detectionBytes.addListener(w -> {
      if (!w.isSuccess()) {
        client.close();
      } else {
        relayer.join(client, upstream, read, written, s.idleTimeout());
      }
    });
  }

  private void opened(Channel client) {
    Metrics m = s.metrics();
    String[] labels = labels();
    m.counter("tcp_open_total", labels).increment();
    LongAdder open = m.gauge("tcp_open_connections", labels);
    open.increment();
    client
        .closeFuture()
        .addListener(f -> {
          open.decrement();
          m.counter("tcp_close_total", Metrics.plus(labels, "errno", "")).increment();
        });
  }

  void result(String label) {
    s.metrics().counter(s.direction() + "_tcp_detect_results_total", "result", label).increment();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Racing r = race;
    if (!upstreamStarted || (r != null && r.running())) {
      if (route != null && route.handling() instanceof Handling.Detect) {
        result(evicted ? "evicted" : "error"); // closed before detection finished
      }
      if (r != null) {
        r.end();
      }
      cancelTimers();
      release();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent && ticket != null) {
      // The client's FIN in detection (half-closure is allowed, so no channelInactive): nothing
      // more can come, so detection ends now with what was read, as Linkerd's does at EOF: TCP.
      // Waiting for the deadline instead kept a closed client's place under the cap.
      clientEnded(ctx);
      return; // told again to the relay once it is joined (see relay)
    }
    if (evt instanceof Draining d) {
      draining = d; // see the field; a relayed connection is kept as it is
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  /** Detection is over (decided, evicted or closed): its timers and its place under the cap go. */
  void cancelTimers() {
    DetectionGate.Ticket t = ticket;
    if (t != null) {
      ticket = null;
      s.detecting().leave(t);
    }
    if (windowTimer != null) {
      windowTimer.cancel(false);
    }
    if (deadlineTimer != null) {
      deadlineTimer.cancel(false);
    }
  }

  void release() {
    if (buffered != null) {
      buffered.release();
      buffered = null;
    }
  }

  /** An upstream is dialled (for the race, or after a decision) or HTTP took the connection. */
  boolean upstreamStarted() {
    return upstreamStarted;
  }

  /** The connection went to the per-request HTTP proxy. */
  boolean httpTaken() {
    return httpTaken;
  }
}
