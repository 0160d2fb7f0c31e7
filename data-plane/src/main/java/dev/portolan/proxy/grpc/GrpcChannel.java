package dev.portolan.proxy.grpc;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.portolan.proxy.grpc.GrpcStatusException.Code;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

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
  private static final String SHUT_DOWN = "the channel is shut down";

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
  private final GrpcConnection.Settings settings;
  private final GrpcConnection.Owner owner = new Owner();
  // Event loop only.
  private @Nullable GrpcConnection current;
  private final List<GrpcConnection> connections = new ArrayList<>();
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
    this(
        target,
        group,
        null,
        channelType,
        tls,
        authority,
        keepAlive,
        GrpcConnection.Resolver.THREAD);
  }

  GrpcChannel(
      String target,
      EventLoopGroup group,
      @Nullable EventLoopGroup ownGroup,
      Class<? extends Channel> channelType,
      @Nullable SslContext tls,
      @Nullable String authority,
      Duration keepAlive,
      GrpcConnection.Resolver resolver) {
    // In the order this channel tries them (shuffled once when there are several).
    List<String> targets = parseTargets(target);
    this.loop = group.next();
    this.ownGroup = ownGroup;
    this.settings =
        new GrpcConnection.Settings(
            loop,
            channelType,
            targets.stream().map(GrpcChannel::hostPort).toList(),
            String.join(",", targets),
            tls,
            authority != null ? authority : targets.getFirst(),
            keepAlive.toNanos(),
            resolver);
  }

  /** A channel on an event loop of its own, shut down with it (tests, tools). */
  public static GrpcChannel standalone(
      String target, @Nullable SslContext tls, @Nullable String authority) {
    EventLoopGroup own = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    return new GrpcChannel(
        target,
        own,
        own,
        NioSocketChannel.class,
        tls,
        authority,
        Duration.ofSeconds(30),
        GrpcConnection.Resolver.THREAD);
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

  /**
   * Starts a call: {@code request} once, then the server's messages until it ends.
   *
   * @param method {@code /package.Service/Method}
   * @param deadline the call ends with DEADLINE_EXCEEDED after it; null for none
   */
  public <M> Call call(
      String method,
      MessageLite request,
      Parser<M> parser,
      int maxMessageBytes,
      @Nullable Duration deadline,
      Listener<M> listener) {
    GrpcCall<M> call =
        new GrpcCall<>(loop, method, request.toByteArray(), parser, maxMessageBytes, listener);
    try {
      loop.execute(() -> start(call, deadline));
    } catch (RejectedExecutionException e) { // a standalone channel's loop, shut down
      call.finish(shutDown());
    }
    return call;
  }

  /**
   * A call whose answer is its first message (a unary call, or the first answer of a stream, which
   * stays open until the server ends it or the channel closes): completes with that message, or
   * with the {@link GrpcStatusException} the call ended with, or with an {@link
   * IllegalStateException} if it ended OK without a message.
   */
  public <M> CompletableFuture<M> first(
      String method,
      MessageLite request,
      Parser<M> parser,
      int maxMessageBytes,
      @Nullable Duration deadline) {
    CompletableFuture<M> answer = new CompletableFuture<>();
    call(
        method,
        request,
        parser,
        maxMessageBytes,
        deadline,
        new Listener<M>() {
          @Override
          public void onMessage(M message) {
            answer.complete(message);
          }

          @Override
          public void onClose(@Nullable GrpcStatusException error) {
            answer.completeExceptionally(
                error != null
                    ? error
                    : new IllegalStateException(method + " ended without an answer"));
          }
        });
    return answer;
  }

  private static GrpcStatusException shutDown() {
    return new GrpcStatusException(Code.UNAVAILABLE, SHUT_DOWN, null);
  }

  private void start(GrpcCall<?> call, @Nullable Duration deadline) {
    if (closed) {
      call.finish(shutDown());
      return;
    }
    if (deadline != null) {
      call.deadline(deadline);
    }
    GrpcConnection c = current;
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
    onLoop(() -> {
      GrpcConnection c = current;
      current = null;
      if (c != null) {
        c.drain();
      }
    });
  }

  /** Ends every call (UNAVAILABLE) and connection; no call starts afterwards. */
  @Override
  public void close() {
    onLoop(() -> {
      closed = true;
      current = null;
      for (GrpcConnection c : List.copyOf(connections)) {
        c.fail(SHUT_DOWN, null);
      }
    });
    if (ownGroup != null) {
      ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  /** Runs on the loop; nothing if the loop is gone (a standalone channel closed already). */
  private void onLoop(Runnable task) {
    try {
      loop.execute(task);
    } catch (RejectedExecutionException e) {
      // Its connections went with the loop.
    }
  }

  private GrpcConnection dial() {
    GrpcConnection c = new GrpcConnection(settings, owner);
    current = c;
    connections.add(c);
    c.connect(0, null);
    return c;
  }

  /** The connections' word back to this channel, on its loop. */
  private final class Owner implements GrpcConnection.Owner {
    @Override
    public void draining(GrpcConnection c) {
      if (current == c) {
        current = null;
      }
    }

    @Override
    public void closed(GrpcConnection c) {
      draining(c);
      connections.remove(c);
    }
  }
}
