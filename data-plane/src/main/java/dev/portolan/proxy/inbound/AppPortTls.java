package dev.portolan.proxy.inbound;

import dev.portolan.proxy.detect.ClientHello;
import dev.portolan.proxy.identity.IdentityUnavailableException;
import dev.portolan.proxy.metrics.ByteCounter;
import dev.portolan.proxy.net.EarlyBytes;
import dev.portolan.proxy.tls.ClientHelloPeek;
import dev.portolan.proxy.tls.MeshTls;
import dev.portolan.proxy.tls.MeshTlsEvent;
import dev.portolan.proxy.tls.MeshTlsHandlers;
import dev.portolan.proxy.tls.ServerMode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Mesh TLS on an application port (docs/design/inbound.md): a redirected connection to an opaque
 * port is watched for a short window for a TLS ClientHello whose SNI is this proxy's identity, as a
 * client proxy sends at once when the endpoint has no {@code opaque_transport}. Such a connection
 * is terminated here (client certificate required and verified, no ALPN) and its plaintext relayed
 * to the app; anything else (silence, plaintext, TLS for another name) is relayed as it came. The
 * upstream is not dialled before the decision, so a server-first app's greeting can never be sent
 * in the clear into what the client meant as a TLS session. A client silent through the window
 * leaves a {@link LateHelloGuard} behind, for a client proxy whose ClientHello was merely late.
 */
final class AppPortTls extends ChannelInboundHandlerAdapter {
  static final String NAME = "app-port-tls-peek";

  /**
   * What the peek decided; called once, on the event loop (and, for a client silent through the
   * window, what the {@link LateHelloGuard} then decided).
   */
  interface Outcome extends LateHelloGuard.Outcome {
    /** Relay as today: the bytes read so far are handed to the front door. */
    void plaintext(ChannelHandlerContext ctx, String why);

    /** Mesh TLS verified: the client's identity is on the channel. */
    void meshTls(ChannelHandlerContext ctx);

    /** Mesh TLS was asked for and failed ({@code reason} is the metric label); being closed. */
    @Override
    void refused(Channel ch, String reason, String detail);
  }

  /** The handlers of an inbound mesh TLS connection: byte counters go behind them. */
  static final List<String> TLS_HANDLERS =
      List.of(MeshTlsHandlers.SSL_NAME, MeshTlsHandlers.VERIFIER_NAME);

  /** A client proxy's mesh TLS demands: a verified client certificate, no ALPN. */
  static final ServerMode MODE = new ServerMode(true, false);

  private final MeshTls mesh;
  private final Duration window;
  private final Duration deadline;
  private final Outcome outcome;
  private @Nullable ByteBuf acc;
  private @Nullable ScheduledFuture<?> windowTimer;
  private @Nullable ScheduledFuture<?> deadlineTimer;
  private boolean readPending;
  private boolean decided;

  /**
   * @param window how long a silent client is waited for (a client proxy's ClientHello comes at
   *     once; an unmeshed server-first client pays this once per connection)
   * @param deadline how long a ClientHello that has started may take to be whole
   */
  AppPortTls(MeshTls mesh, Duration window, Duration deadline, Outcome outcome) {
    this.mesh = mesh;
    this.window = window;
    this.deadline = deadline;
    this.outcome = outcome;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    acc = ctx.alloc().buffer();
    windowTimer =
        ctx.executor().schedule(() -> silent(ctx), window.toMillis(), TimeUnit.MILLISECONDS);
    deadlineTimer =
        ctx.executor()
            .schedule(
                () -> plaintext(ctx, "no whole ClientHello within " + deadline),
                deadline.toMillis(),
                TimeUnit.MILLISECONDS);
    readPending = true;
    ctx.read();
  }

  /**
   * Nothing came within the window: relayed as plaintext, but a {@link LateHelloGuard} takes this
   * handler's place to catch a client proxy's ClientHello that was merely late.
   */
  private void silent(ChannelHandlerContext ctx) {
    ByteBuf held = acc;
    if (decided || held == null || held.isReadable()) {
      return;
    }
    decided = true;
    cancelTimers();
    held.release();
    acc = null;
    LateHelloGuard guard = new LateHelloGuard(mesh, deadline, outcome);
    ctx.pipeline().replace(this, LateHelloGuard.NAME, guard);
    ChannelHandlerContext guardCtx = ctx.pipeline().context(guard);
    // The pending read now answers to the guard, which hands its bytes on once judged.
    EarlyBytes.offer(ctx.channel(), () -> guard.frontDoorReady(guardCtx), readPending);
    outcome.plaintext(guardCtx, "client silent for " + window.toMillis() + " ms");
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    readPending = false;
    if (!(msg instanceof ByteBuf in) || acc == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    acc.writeBytes(in);
    in.release();
    if (decided) {
      return; // read after a plaintext decision, before the front door took over: kept
    }
    switch (ClientHelloPeek.peek(acc)) {
      case ClientHello.NeedMore n -> {
        readPending = true;
        ctx.read();
      }
      case ClientHello.NotClientHello n -> plaintext(ctx, "not TLS: " + n.why());
      case ClientHello.Hello h -> {
        if (mesh.identity().equals(h.serverName())) {
          terminate(ctx);
        } else {
          plaintext(ctx, "TLS for " + TransportReader.cut(String.valueOf(h.serverName())));
        }
      }
    }
  }

  private void plaintext(ChannelHandlerContext ctx, String why) {
    if (decided) {
      return;
    }
    decided = true;
    cancelTimers();
    // The front door relays; it must know a read is still asked of Netty (no native relay then).
    EarlyBytes.offer(ctx.channel(), () -> drain(ctx), readPending);
    outcome.plaintext(ctx, why);
  }

  /** The ClientHello names us: mesh TLS behind this handler, fed the bytes read so far. */
  private void terminate(ChannelHandlerContext ctx) {
    decided = true;
    cancelTimers();
    Channel ch = ctx.channel();
    ByteBuf held = acc;
    acc = null;
    try {
      mesh.server(ch, MODE).addAfter(ch.pipeline(), NAME);
    } catch (IdentityUnavailableException e) {
      ReferenceCountUtil.release(held);
      outcome.refused(ch, "no_identity", String.valueOf(e.getMessage()));
      ch.close();
      return;
    }
    ch.pipeline().addAfter(MeshTlsHandlers.VERIFIER_NAME, Verified.NAME, new Verified(outcome));
    ByteCounter.countBehind(ch, AppPortTls.TLS_HANDLERS); // application bytes only
    ctx.pipeline().remove(this);
    if (held != null) {
      ctx.fireChannelRead(held);
    }
    ctx.fireChannelReadComplete(); // the TLS handler asks for more when the handshake needs it
  }

  /** The held bytes (or null), and this handler out of the pipeline. */
  private @Nullable ByteBuf drain(ChannelHandlerContext ctx) {
    ByteBuf held = acc;
    acc = null;
    ctx.pipeline().remove(this);
    if (held != null && !held.isReadable()) {
      held.release();
      return null;
    }
    return held;
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancelTimers();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancelTimers();
    if (!decided) {
      decided = true;
      outcome.refused(ctx.channel(), "closed", "closed before the peek decided");
    }
    if (acc != null) {
      acc.release();
      acc = null;
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  private void cancelTimers() {
    if (windowTimer != null) {
      windowTimer.cancel(false);
    }
    if (deadlineTimer != null) {
      deadlineTimer.cancel(false);
    }
  }

  /** Behind the TLS handlers: waits for the verified handshake, holds plaintext until routed. */
  static final class Verified extends ChannelInboundHandlerAdapter {
    static final String NAME = "app-port-tls-verified";
    private final Outcome outcome;
    private @Nullable ByteBuf early;
    private boolean done;

    Verified(Outcome outcome) {
      this.outcome = outcome;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      switch (evt) {
        case MeshTlsEvent.Established e -> {
          done = true;
          EarlyBytes.offer(ctx.channel(), () -> drain(ctx), false);
          outcome.meshTls(ctx);
        }
        case MeshTlsEvent.Refused r -> {
          done = true;
          outcome.refused(ctx.channel(), r.refusal().label(), r.detail());
          ctx.close();
        }
        default -> ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf b)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (early == null) {
        early = ctx.alloc().buffer(b.readableBytes());
      }
      early.writeBytes(b);
      b.release();
    }

    private @Nullable ByteBuf drain(ChannelHandlerContext ctx) {
      ByteBuf held = early;
      early = null;
      ctx.pipeline().remove(this);
      return held;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!done) {
        done = true;
        outcome.refused(ctx.channel(), "handshake", "closed during the handshake");
      }
      if (early != null) {
        early.release();
        early = null;
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
