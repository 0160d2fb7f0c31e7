package dev.portolan.proxy.grpc;

import dev.portolan.proxy.grpc.GrpcStatusException.Code;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import io.netty.util.collection.IntObjectHashMap;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 connection of a {@link GrpcChannel} and the calls on it: dialled through the channel's
 * targets in order, secured and ALPN-checked when the channel has TLS, kept alive with PINGs while
 * calls are open, drained on GOAWAY, and failed (every call on it UNAVAILABLE) when it closes.
 * Event loop only.
 */
final class GrpcConnection extends Http2ConnectionAdapter implements Frames.Streams {
  private static final Logger log = LoggerFactory.getLogger(GrpcConnection.class);
  private static final int CONNECT_TIMEOUT_MILLIS = 10_000;

  /** What a connection is told by its channel. */
  record Settings(
      EventLoop loop,
      Class<? extends Channel> channelType,
      List<InetSocketAddress> targets,
      String targetsText,
      @Nullable SslContext tls,
      String authority,
      long keepAliveNanos,
      Resolver resolver) {}

  /**
   * Looks a host name up away from the event loop: the admin loop also answers the kubelet's
   * probes, and a lookup waits for the resolver's timeouts and search domains when DNS is down.
   */
  interface Resolver {
    CompletableFuture<InetAddress[]> resolve(String host);

    /**
     * Each lookup on a short-lived daemon thread of its own (a dial is rare: at most one a try).
     */
    Resolver THREAD =
        host -> {
          CompletableFuture<InetAddress[]> all = new CompletableFuture<>();
          Thread.ofPlatform()
              .daemon()
              .name("portolan-dns")
              .start(() -> {
                try {
                  all.complete(InetAddress.getAllByName(host));
                } catch (UnknownHostException | RuntimeException e) {
                  all.completeExceptionally(e);
                }
              });
          return all;
        };
  }

  /** How a connection tells its channel that it takes no new calls, or is gone. */
  interface Owner {
    /** No new calls here: the channel's next call dials a new connection. */
    void draining(GrpcConnection c);

    /** Closed for good. */
    void closed(GrpcConnection c);
  }

  private final Settings settings;
  private final Owner owner;
  private final List<GrpcCall<?>> pending = new ArrayList<>();
  private final IntObjectHashMap<GrpcCall<?>> streams = new IntObjectHashMap<>();
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

  GrpcConnection(Settings settings, Owner owner) {
    this.settings = settings;
    this.owner = owner;
  }

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
    if (index >= settings.targets().size()) {
      fail("cannot connect to the policy-server at " + settings.targetsText(), last);
      return;
    }
    String host = settings.targets().get(index).getHostString();
    byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
    if (literal != null) {
      try {
        connectAddress(index, new InetAddress[] {InetAddress.getByAddress(host, literal)}, 0, last);
      } catch (UnknownHostException e) { // not for 4 or 16 bytes
        connect(index + 1, e);
      }
      return;
    }
    // A name: looked up once per dial, off the loop, and the dial goes on on the loop.
    settings
        .resolver()
        .resolve(host)
        .whenComplete((all, error) ->
            settings
                .loop()
                .execute(() -> {
                  if (dead) {
                    return;
                  }
                  if (error != null || all == null) {
                    connect(index + 1, error);
                  } else {
                    connectAddress(index, all, 0, last);
                  }
                }));
  }

  private void connectAddress(int index, InetAddress[] all, int i, @Nullable Throwable last) {
    if (i >= all.length) {
      connect(index + 1, last);
      return;
    }
    InetSocketAddress address =
        new InetSocketAddress(all[i], settings.targets().get(index).getPort());
    ChannelFuture f =
        new Bootstrap()
            .group(settings.loop())
            .channel(settings.channelType())
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
    SslContext tls = settings.tls();
    if (tls != null) {
      String host = GrpcChannel.authorityHost(settings.authority());
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
    long every = settings.keepAliveNanos();
    keepAlive =
        settings
            .loop()
            .scheduleAtFixedRate(this::keepAliveTick, every, every, TimeUnit.NANOSECONDS);
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
    Http2ConnectionHandler h = Objects.requireNonNull(http2);
    Channel ch = Objects.requireNonNull(channel);
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
        .writeHeaders(
            ctx,
            id,
            call.headers(settings.authority(), settings.tls() != null),
            0,
            false,
            ctx.newPromise())
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
    h.resetStream(ch.pipeline().context(h), id, Http2Error.CANCEL.code(), ch.newPromise());
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

  /** No new calls here; closed once the open ones end. */
  void drain() {
    draining = true;
    owner.draining(this);
    closeIfDrained();
  }

  private void closeIfDrained() {
    if (draining && streams.isEmpty() && pending.isEmpty() && channel != null) {
      channel.close();
    }
  }

  private void keepAliveTick() {
    if (streams.isEmpty() || System.nanoTime() - lastReadNanos < settings.keepAliveNanos()) {
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
    owner.closed(this);
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
