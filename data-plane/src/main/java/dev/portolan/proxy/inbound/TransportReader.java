package dev.portolan.proxy.inbound;

import dev.portolan.proxy.net.EarlyBytes;
import dev.portolan.proxy.tls.MeshTlsEvent;
import dev.portolan.proxy.transport.TransportHeader;
import dev.portolan.proxy.transport.TransportHeaderCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Behind mesh TLS on a direct connection to the inbound port: waits for the verified handshake,
 * then reads the transport header within a deadline and the codec's cap (docs/design/inbound.md).
 * The outcome goes to {@link Outcome} once: the header, or a refusal reason. Bytes after the header
 * are held and handed to the front door through {@link EarlyBytes}; until then nothing else reads.
 */
final class TransportReader extends ChannelInboundHandlerAdapter {
  /** What the reader found. */
  interface Outcome {
    void header(ChannelHandlerContext ctx, TransportHeader header);

    /** The connection is refused ({@code reason} is the metric label); it is being closed. */
    void refused(ChannelHandlerContext ctx, String reason, String detail);
  }

  private final Duration deadline;
  private final Outcome outcome;
  private @Nullable ByteBuf acc;
  private @Nullable ScheduledFuture<?> timer;
  private boolean established;
  private boolean decided;

  TransportReader(Duration deadline, Outcome outcome) {
    this.deadline = deadline;
    this.outcome = outcome;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    switch (evt) {
      case MeshTlsEvent.Established e -> {
        established = true;
        acc = ctx.alloc().buffer();
        timer =
            ctx.executor()
                .schedule(
                    () -> refuse(ctx, "header_timeout", "no complete header within " + deadline),
                    deadline.toMillis(),
                    TimeUnit.MILLISECONDS);
        ctx.read();
      }
      case MeshTlsEvent.Refused r -> refuse(ctx, r.refusal().label(), r.detail());
      default -> ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in) || acc == null) {
      ReferenceCountUtil.release(msg); // nothing is read before the handshake was verified
      return;
    }
    acc.writeBytes(in);
    in.release();
    if (decided) {
      return; // application bytes after the header, held for the front door
    }
    byte[] bytes = new byte[acc.readableBytes()];
    acc.getBytes(acc.readerIndex(), bytes);
    switch (TransportHeaderCodec.decode(bytes, 0, bytes.length)) {
      case TransportHeaderCodec.Result.NeedMore n -> ctx.read();
      case TransportHeaderCodec.Result.Invalid i -> refuse(ctx, "header_invalid", i.reason());
      case TransportHeaderCodec.Result.GatewayRefused g ->
          refuse(ctx, "header_name", "a gateway name (no gateway here): " + cut(g.name()));
      case TransportHeaderCodec.Result.Decoded d -> {
        decided = true;
        cancelTimer();
        acc.skipBytes(d.consumed());
        EarlyBytes.offer(ctx.channel(), () -> drain(ctx));
        outcome.header(ctx, d.header());
      }
    }
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
  public void channelInactive(ChannelHandlerContext ctx) {
    if (established && !decided) {
      refuse(ctx, "header_truncated", "closed before the header was complete");
    }
    cleanup();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancelTimer();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  private void refuse(ChannelHandlerContext ctx, String reason, String detail) {
    if (decided) {
      return;
    }
    decided = true;
    cleanup();
    outcome.refused(ctx, reason, detail);
    ctx.close();
  }

  private void cleanup() {
    cancelTimer();
    if (acc != null) {
      acc.release();
      acc = null;
    }
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** A peer's text in a log line: short and printable. */
  static String cut(String s) {
    String t = s.length() > 64 ? s.substring(0, 64) + "…" : s;
    return t.replaceAll("\\p{Cntrl}", "?");
  }
}
