package dev.portolan.proxy.inbound;

import dev.portolan.proxy.detect.ClientHello;
import dev.portolan.proxy.identity.IdentityUnavailableException;
import dev.portolan.proxy.metrics.ByteCounter;
import dev.portolan.proxy.tls.ClientHelloPeek;
import dev.portolan.proxy.tls.MeshTls;
import dev.portolan.proxy.tls.MeshTlsEvent;
import dev.portolan.proxy.tls.MeshTlsHandlers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The late-ClientHello guard (docs/design/inbound.md): a client silent through the peek window was
 * handed to the plaintext relay, but on a loaded node a client proxy's ClientHello can simply be
 * late. This handler stays in front of the relay and looks at the client's first bytes: a
 * ClientHello naming this proxy's identity is terminated as mesh TLS over the relay already set up
 * (its upstream stays; the relay then sees plaintext), provided nothing from the app has been
 * written to the client yet. Once the app has greeted, a client that answers with a ClientHello
 * naming us took the greeting for something else: honouring the hello would mix the clear greeting
 * into a TLS session, relaying it would hand the app a handshake, so the connection is closed.
 * Anything else (plaintext, TLS for another name, a hello that never completes within the deadline)
 * passes on unchanged. It holds at most one ClientHello ({@link ClientHello#CAP}) and leaves the
 * pipeline at its first decision.
 */
final class LateHelloGuard extends ChannelDuplexHandler {
  static final String NAME = "app-port-late-hello";

  /** What the guard decided, beyond "pass on"; called once, on the event loop. */
  interface Outcome {
    /** A late ClientHello named us and its handshake verified: mesh TLS, over the same relay. */
    void lateTls(Channel ch);

    /** A late ClientHello named us after the app had greeted the client: being closed. */
    void lateHelloRefused(Channel ch, String detail);

    /** The late handshake failed ({@code reason} is the metric label): being closed. */
    void refused(Channel ch, String reason, String detail);
  }

  private final MeshTls mesh;
  private final Duration deadline;
  private final Outcome outcome;
  private @Nullable ByteBuf acc;
  private @Nullable ScheduledFuture<?> deadlineTimer;
  // The front door has taken the connection: bytes passed on now reach it (not before).
  private boolean frontDoor;
  // Bytes from the app have been written to the client (in the clear).
  private boolean greeted;
  private boolean done;

  LateHelloGuard(MeshTls mesh, Duration deadline, Outcome outcome) {
    this.mesh = mesh;
    this.deadline = deadline;
    this.outcome = outcome;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    acc = ctx.alloc().buffer();
  }

  /**
   * The front door took over (from {@link dev.portolan.proxy.net.EarlyBytes}): nothing was read
   * before the window ended, so nothing is handed over; bytes read since are judged now.
   */
  @Nullable ByteBuf frontDoorReady(ChannelHandlerContext ctx) {
    frontDoor = true;
    // After the front door's start has run: passing bytes on from inside it would re-enter it.
    ctx.executor().execute(() -> judge(ctx));
    return null;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf held = acc;
    if (done || held == null || !(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (!held.isReadable() && deadlineTimer == null) {
      deadlineTimer =
          ctx.executor()
              .schedule(
                  () -> pass(ctx), // a hello that never completes is no hello: relayed as it came
                  deadline.toMillis(),
                  TimeUnit.MILLISECONDS);
    }
    held.writeBytes(in);
    in.release();
    judge(ctx);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (done) {
      ctx.fireChannelReadComplete();
    }
    // Otherwise held: the front door hears of a read once its bytes are passed on.
  }

  private void judge(ChannelHandlerContext ctx) {
    ByteBuf held = acc;
    if (done || !frontDoor || held == null || !held.isReadable()) {
      return;
    }
    switch (ClientHelloPeek.peek(held)) {
      case ClientHello.NeedMore n -> ctx.read();
      case ClientHello.NotClientHello n -> pass(ctx);
      case ClientHello.Hello h -> {
        if (!mesh.identity().equals(h.serverName())) {
          pass(ctx); // the app's own TLS
        } else if (greeted) {
          refuse(ctx);
        } else {
          terminate(ctx);
        }
      }
    }
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!done && isBytes(msg)) {
      greeted = true;
    }
    ctx.write(msg, promise);
  }

  private static boolean isBytes(Object msg) {
    return switch (msg) {
      case ByteBuf b -> b.isReadable();
      case ByteBufHolder h -> h.content().isReadable();
      default -> true; // a file region or the like: bytes all the same
    };
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      // The client's FIN: what it sent cannot grow into a hello; its bytes go before the FIN.
      pass(ctx);
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** Not a hello naming us: the bytes held go on to the front door, and the guard goes. */
  private void pass(ChannelHandlerContext ctx) {
    if (done || !frontDoor) {
      return; // before the front door exists, the bytes stay held (judged once it does)
    }
    finish(ctx);
    ByteBuf held = acc;
    acc = null;
    ctx.pipeline().remove(this);
    if (held != null && held.isReadable()) {
      ctx.fireChannelRead(held);
      ctx.fireChannelReadComplete();
    } else if (held != null) {
      held.release();
    }
  }

  private void refuse(ChannelHandlerContext ctx) {
    finish(ctx);
    release();
    outcome.lateHelloRefused(
        ctx.channel(), "a ClientHello naming us arrived after the app had greeted the client");
    ctx.close();
  }

  /** Mesh TLS behind this handler, fed the hello; the front door then reads plaintext. */
  private void terminate(ChannelHandlerContext ctx) {
    finish(ctx);
    Channel ch = ctx.channel();
    ByteBuf held = acc;
    acc = null;
    try {
      mesh.server(ch, AppPortTls.MODE).addAfter(ch.pipeline(), NAME);
    } catch (IdentityUnavailableException e) {
      ReferenceCountUtil.release(held);
      outcome.refused(ch, "no_identity", String.valueOf(e.getMessage()));
      ch.close();
      return;
    }
    ch.pipeline().addAfter(MeshTlsHandlers.VERIFIER_NAME, Verified.NAME, new Verified(outcome));
    // An HTTP front door counts bytes in front of this guard: from now on, the plaintext.
    ByteCounter.countBehind(ch, AppPortTls.TLS_HANDLERS);
    ByteCounter.behindTls(ch.pipeline());
    ctx.pipeline().remove(this);
    if (held != null) {
      ctx.fireChannelRead(held);
    }
    ctx.fireChannelReadComplete(); // the TLS handler asks for more when the handshake needs it
  }

  private void finish(ChannelHandlerContext ctx) {
    done = true;
    if (deadlineTimer != null) {
      deadlineTimer.cancel(false);
    }
  }

  private void release() {
    if (acc != null) {
      acc.release();
      acc = null;
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (deadlineTimer != null) {
      deadlineTimer.cancel(false);
    }
    release();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    finish(ctx);
    release();
    ctx.fireChannelInactive();
  }

  /**
   * Behind the late handshake: holds plaintext until the client is verified, then hands it to the
   * front door, which has been waiting for a read all along.
   */
  static final class Verified extends ChannelInboundHandlerAdapter {
    static final String NAME = "app-port-late-verified";
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
          outcome.lateTls(ctx.channel());
          ByteBuf held = early;
          early = null;
          ctx.pipeline().remove(this);
          if (held != null) {
            ctx.fireChannelRead(held);
            ctx.fireChannelReadComplete();
          } else {
            // The front door's read was spent on the hello: ask again for its first bytes.
            ctx.channel().read();
          }
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
      if (done || !(msg instanceof ByteBuf b)) {
        if (done) {
          ctx.fireChannelRead(msg);
        } else {
          ReferenceCountUtil.release(msg);
        }
        return;
      }
      if (early == null) {
        early = ctx.alloc().buffer(b.readableBytes());
      }
      early.writeBytes(b);
      b.release();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (done) {
        ctx.fireChannelReadComplete();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!done) {
        done = true;
        outcome.refused(ctx.channel(), "handshake", "closed during the late handshake");
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
