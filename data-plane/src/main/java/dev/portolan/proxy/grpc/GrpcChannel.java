package dev.portolan.proxy.grpc;

import dev.portolan.proxy.grpc.GrpcStatusException.Code;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's gRPC client to the policy-server (docs/proxy.md, "The control-plane client"): unary
 * and server-streaming calls of protobuf messages over one HTTP/2 connection on the proxy's own
 * Netty, made when a call needs it and made again after it is lost. It does no retrying and no
 * backoff of its own: a call that cannot be carried ends with UNAVAILABLE at once, and the caller
 * (the discovery watch, Certify's renewal) owns the documented backoff.
 *
 * <p>The target is {@code host:port} (every address the name resolves to, tried in order at each
 * dial) or a comma-separated list of them, tried in an order of this proxy's own so proxies spread
 * over the replicas; a dial moves to the next address when one refuses or times out. With TLS the
 * server's certificate must name {@code authority} (checked in the handshake by the context's
 * verifier) and ALPN must agree on h2; no call is written before both hold.
 *
 * <p>All state lives on one event loop of {@code group}; the methods may be called from any thread.
 */
public final class GrpcChannel implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GrpcChannel.class);
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

  /** What a call hands back: its messages, then its end ({@code null} for OK). */
  public interface Listener<M> {
    void onMessage(M message);

    void onClose(@Nullable GrpcStatusException error);
  }

  /** A call in progress. */
  public interface Call {
    /** Ends the call (RST_STREAM CANCEL); its listener is told CANCELLED unless it had ended. */
    void cancel(String reason);
  }

  private final EventLoop loop;
  private final @Nullable EventLoopGroup ownGroup;
  private final Class<? extends Channel> channelType;
  private final List<String> targets;
  private final @Nullable SslContext tls;
  private final String authority;
  private final long keepAliveNanos;
  // Event loop only.
  private @Nullable Connection current;
  private final List<Connection> connections = new ArrayList<>();
  private boolean closed;

  /**
   * @param target {@code host:port} or {@code host:port,host:port,…}
   * @param group where the connection runs (the proxy's admin loop)
   * @param tls a client context from {@link #tlsClient()}, or null for plaintext
   * @param authority the {@code :authority} and, with TLS, the name the server's certificate must
   *     carry; null for the target's first {@code host:port}
   * @param keepAlive a PING after this long without a frame from the server while calls are open;
   *     the connection is closed when the next one passes without an answer
   */
  public GrpcChannel(
      String target,
      EventLoopGroup group,
      Class<? extends Channel> channelType,
      @Nullable SslContext tls,
      @Nullable String authority,
      Duration keepAlive) {
    this(target, group, null, channelType, tls, authority, keepAlive);
  }

  GrpcChannel(
      String target,
      EventLoopGroup group,
      @Nullable EventLoopGroup ownGroup,
      Class<? extends Channel> channelType,
      @Nullable SslContext tls,
      @Nullable String authority,
      Duration keepAlive) {
    this.targets = parseTargets(target);
    this.loop = group.next();
    this.ownGroup = ownGroup;
    this.channelType = channelType;
    this.tls = tls;
    this.authority = authority != null ? authority : targets.getFirst();
    this.keepAliveNanos = keepAlive.toNanos();
  }

  /** A channel on an event loop of its own, shut down with it (tests, tools). */
  public static GrpcChannel standalone(
      String target, @Nullable SslContext tls, @Nullable String authority) {
    EventLoopGroup own =
        new io.netty.channel.MultiThreadIoEventLoopGroup(
            1, io.netty.channel.nio.NioIoHandler.newFactory());
    return new GrpcChannel(
        target,
        own,
        own,
        io.netty.channel.socket.nio.NioSocketChannel.class,
        tls,
        authority,
        Duration.ofSeconds(30));
  }

  /**
   * A TLS client context builder for gRPC: TLS 1.3 and 1.2 with HTTP/2's ciphers, ALPN h2,
   * BoringSSL when it loads (the proxy's other TLS runs on it too), the JDK's engine otherwise.
   *
   * @param verifier checks the server's chain and that it names the engine's peer host (the
   *     channel's authority): this client adds no name check of its own
   */
  public static SslContextBuilder tlsClient(X509ExtendedTrustManager verifier) {
    return SslContextBuilder.forClient()
        .trustManager(verifier)
        .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
        .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
        .applicationProtocolConfig(
            new ApplicationProtocolConfig(
                ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                ApplicationProtocolNames.HTTP_2));
  }

  static List<String> parseTargets(String target) {
    String t = target.strip();
    if (t.startsWith("dns:///")) {
      t = t.substring("dns:///".length());
    }
    List<String> list = new ArrayList<>();
    for (String a : t.split(",")) {
      String hostPort = a.strip();
      hostPort(hostPort); // a bad entry is named now, not at the first call
      list.add(hostPort);
    }
    if (list.size() > 1) {
      Collections.shuffle(list);
    }
    return List.copyOf(list);
  }

  /** {@code host:port} (a bracketed IPv6 literal too) as an unresolved address. */
  static InetSocketAddress hostPort(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("'" + hostPort + "' is not host:port");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    try {
      return InetSocketAddress.createUnresolved(
          host, Integer.parseInt(hostPort.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + hostPort + "' is not host:port", e);
    }
  }

  /** The host of an authority ({@code name} or {@code name:port}; brackets off an IPv6 literal). */
  static String authorityHost(String authority) {
    String host = authority;
    int colon = host.lastIndexOf(':');
    if (colon > 0 && host.indexOf(']') < colon && host.chars().filter(c -> c == ':').count() == 1
        || host.startsWith("[") && colon > host.indexOf(']')) {
      host = host.substring(0, colon);
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return host;
  }

  /** The order this channel tries its targets in (shuffled once when there are several). */
  List<String> targets() {
    return targets;
  }

  /**
   * Starts a call: {@code request} once, then the server's messages until it ends.
   *
   * @param method {@code /package.Service/Method}
   * @param deadline the call ends with DEADLINE_EXCEEDED after it; null for none
   */
  public <M> Call call(
      String method,
      com.google.protobuf.MessageLite request,
      com.google.protobuf.Parser<M> parser,
      int maxMessageBytes,
      @Nullable Duration deadline,
      Listener<M> listener) {
    GrpcCall<M> call =
        new GrpcCall<>(loop, method, request.toByteArray(), parser, maxMessageBytes, listener);
    try {
      loop.execute(() -> start(call, deadline));
    } catch (RejectedExecutionException e) { // a standalone channel's loop, shut down
      call.finish(new GrpcStatusException(Code.UNAVAILABLE, "the channel is shut down", null));
    }
    return call;
  }

  private void start(GrpcCall<?> call, @Nullable Duration deadline) {
    if (closed) {
      call.finish(new GrpcStatusException(Code.UNAVAILABLE, "the channel is shut down", null));
      return;
    }
    if (deadline != null) {
      call.deadline(deadline);
    }
    Connection c = current;
    if (c == null) {
      c = dial();
    }
    c.add(call);
  }

  /**
   * New calls go on a new connection; calls already open stay on theirs, which closes once they end
   * (the first certificate: the next connection presents it).
   */
  public void enterIdle() {
    loop.execute(() -> {
      Connection c = current;
      current = null;
      if (c != null) {
        c.drain();
      }
    });
  }

  /** Ends every call (UNAVAILABLE) and connection; no call starts afterwards. */
  @Override
  public void close() {
    loop.execute(() -> {
      closed = true;
      current = null;
      for (Connection c : List.copyOf(connections)) {
        c.fail("the channel is shut down", null);
      }
    });
    if (ownGroup != null) {
      ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  private Connection dial() {
    Connection c = new Connection();
    current = c;
    connections.add(c);
    c.connect(0, null);
    return c;
  }

  /** One HTTP/2 connection and the calls on it. Event loop only. */
  private final class Connection extends Http2ConnectionAdapter implements Frames.Streams {
    private final List<GrpcCall<?>> pending = new ArrayList<>();
    private final io.netty.util.collection.IntObjectHashMap<GrpcCall<?>> streams =
        new io.netty.util.collection.IntObjectHashMap<>();
    private @Nullable Channel channel;
    private @Nullable ChannelFuture connecting;
    private @Nullable Http2ConnectionHandler http2;
    private @Nullable ScheduledFuture<?> keepAlive;
    private @Nullable String failure;
    private @Nullable Throwable failureCause;
    private boolean ready;
    private boolean draining;
    private boolean dead;
    private boolean pingOutstanding;
    private long lastReadNanos = System.nanoTime();

    void add(GrpcCall<?> call) {
      if (dead) {
        call.finish(unavailable());
      } else if (ready) {
        open(call);
      } else {
        pending.add(call);
      }
    }

    /** Tries the targets from {@code index} on; {@code last} is the previous one's failure. */
    void connect(int index, @Nullable Throwable last) {
      if (dead) {
        return;
      }
      if (index >= targets.size()) {
        fail("cannot connect to the policy-server at " + String.join(",", targets), last);
        return;
      }
      InetSocketAddress unresolved = hostPort(targets.get(index));
      InetAddress[] all;
      try {
        // The admin loop resolves: a name once per dial, an IP literal without a lookup.
        all = InetAddress.getAllByName(unresolved.getHostString());
      } catch (UnknownHostException e) {
        connect(index + 1, e);
        return;
      }
      connectAddress(index, all, 0, last);
    }

    private void connectAddress(int index, InetAddress[] all, int i, @Nullable Throwable last) {
      if (i >= all.length) {
        connect(index + 1, last);
        return;
      }
      InetSocketAddress address =
          new InetSocketAddress(all[i], hostPort(targets.get(index)).getPort());
      ChannelFuture f =
          new Bootstrap()
              .group(loop)
              .channel(channelType)
              .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
              .handler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      pipeline(ch, address);
                    }
                  })
              .connect(address);
      connecting = f;
      f.addListener(x -> {
        connecting = null;
        if (!x.isSuccess()) {
          if (!dead) {
            connectAddress(index, all, i + 1, x.cause());
          }
          return;
        }
        Channel ch = f.channel();
        if (dead) {
          ch.close();
          return;
        }
        channel = ch;
        ch.closeFuture().addListener(y -> fail("the connection to the policy-server closed", null));
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        if (ssl == null) {
          ready();
          return;
        }
        ssl.handshakeFuture()
            .addListener(h -> {
              if (!h.isSuccess()) {
                fail("TLS handshake with the policy-server failed", h.cause());
              } else if (!ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol())) {
                fail("the policy-server did not agree on h2 in ALPN", null);
              } else {
                ready();
              }
            });
      });
    }

    private void pipeline(Channel ch, InetSocketAddress address) {
      if (tls != null) {
        String host = authorityHost(authority);
        // The peer host is the SNI and the name the verifier expects in the certificate.
        ch.pipeline().addLast(tls.newHandler(ch.alloc(), host, address.getPort()));
      }
      DefaultHttp2Connection connection = new DefaultHttp2Connection(false);
      connection.addListener(this);
      Http2ConnectionHandler h =
          new Http2ConnectionHandlerBuilder()
              .connection(connection)
              .frameListener(new Frames(this))
              .initialSettings(Http2Settings.defaultSettings().pushEnabled(false))
              .gracefulShutdownTimeoutMillis(0)
              .build();
      http2 = h;
      ch.pipeline().addLast(h);
    }

    private void ready() {
      if (dead) {
        return;
      }
      ready = true;
      lastReadNanos = System.nanoTime();
      keepAlive =
          loop.scheduleAtFixedRate(
              this::keepAliveTick, keepAliveNanos, keepAliveNanos, TimeUnit.NANOSECONDS);
      List<GrpcCall<?>> calls = List.copyOf(pending);
      pending.clear();
      for (GrpcCall<?> c : calls) {
        open(c);
      }
      closeIfDrained();
    }

    private void open(GrpcCall<?> call) {
      if (call.done()) {
        return;
      }
      Http2ConnectionHandler h = java.util.Objects.requireNonNull(http2);
      Channel ch = java.util.Objects.requireNonNull(channel);
      int id = h.connection().local().incrementAndGetNextStreamId();
      if (id < 0) {
        drain();
        call.finish(new GrpcStatusException(Code.UNAVAILABLE, "stream ids used up", null));
        return;
      }
      streams.put(id, call);
      call.opened(this::reset, id, ch.alloc());
      var ctx = ch.pipeline().context(h);
      h.encoder()
          .writeHeaders(ctx, id, call.headers(authority, tls != null), 0, false, ctx.newPromise())
          .addListener(f -> {
            if (!f.isSuccess()) {
              streams.remove(id);
              call.finish(
                  new GrpcStatusException(
                      Code.UNAVAILABLE, "cannot open a stream to the policy-server", f.cause()));
            }
          });
      h.encoder().writeData(ctx, id, call.body(ch.alloc()), 0, true, ctx.newPromise());
      ch.flush();
    }

    /** RST_STREAM CANCEL for a call that ends before its stream does. */
    private void reset(int id) {
      Http2ConnectionHandler h = http2;
      Channel ch = channel;
      if (h == null || ch == null || !ch.isActive() || h.connection().stream(id) == null) {
        return;
      }
      h.resetStream(
          ch.pipeline().context(h),
          id,
          io.netty.handler.codec.http2.Http2Error.CANCEL.code(),
          ch.newPromise());
      ch.flush();
    }

    @Override
    public @Nullable GrpcCall<?> stream(int id) {
      lastReadNanos = System.nanoTime();
      return streams.get(id);
    }

    @Override
    public void pingAnswered() {
      lastReadNanos = System.nanoTime();
      pingOutstanding = false;
    }

    /** The server sent GOAWAY: no new streams here; the open ones may end. */
    @Override
    public void goAway() {
      drain();
    }

    @Override
    public void onStreamClosed(Http2Stream stream) {
      GrpcCall<?> call = streams.remove(stream.id());
      if (call != null) {
        call.finish(unavailable());
      }
      closeIfDrained();
    }

    void drain() {
      draining = true;
      if (current == this) {
        current = null;
      }
      closeIfDrained();
    }

    private void closeIfDrained() {
      if (draining && streams.isEmpty() && pending.isEmpty() && channel != null) {
        channel.close();
      }
    }

    private void keepAliveTick() {
      if (streams.isEmpty() || System.nanoTime() - lastReadNanos < keepAliveNanos) {
        return;
      }
      Channel ch = channel;
      Http2ConnectionHandler h = http2;
      if (ch == null || h == null) {
        return;
      }
      if (pingOutstanding) {
        fail("the policy-server did not answer a keepalive ping", null);
        return;
      }
      pingOutstanding = true;
      h.encoder().writePing(ch.pipeline().context(h), false, System.nanoTime(), ch.newPromise());
      ch.flush();
    }

    /** Ends the connection and every call on it or waiting for it. */
    void fail(String why, @Nullable Throwable cause) {
      if (dead) {
        return;
      }
      dead = true;
      failure = why;
      failureCause = cause;
      if (current == this) {
        current = null;
      }
      connections.remove(this);
      if (keepAlive != null) {
        keepAlive.cancel(false);
      }
      if (connecting != null) {
        connecting.cancel(false);
      }
      List<GrpcCall<?>> calls = new ArrayList<>(pending);
      pending.clear();
      calls.addAll(streams.values());
      streams.clear();
      for (GrpcCall<?> c : calls) {
        c.finish(unavailable());
      }
      if (channel != null) {
        channel.close();
      }
      if (cause != null) {
        log.debug("policy-server connection: {}", why, cause);
      }
    }

    private GrpcStatusException unavailable() {
      return new GrpcStatusException(
          Code.UNAVAILABLE,
          failure != null ? failure : "the stream to the policy-server closed",
          failureCause);
    }
  }
}
