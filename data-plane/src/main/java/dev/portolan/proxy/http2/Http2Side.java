package dev.portolan.proxy.http2;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One proxied HTTP/2 connection, client or upstream side, driven at the frame level (no child
 * channel per stream). What it writes for the other side's streams is flushed once per event-loop
 * turn, after every read of that turn: one flush for many streams.
 */
abstract class Http2Side extends Http2ConnectionHandler {
  private final Runnable flushTask = this::flushNow;
  private boolean flushScheduled;
  // Set once the handler is in its pipeline; every write comes after that.
  @Nullable ChannelHandlerContext ctx;

  Http2Side(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings s) {
    super(decoder, encoder, s);
  }

  /** The handler's context: it is in its pipeline before anything is written through it. */
  final ChannelHandlerContext context() {
    return Objects.requireNonNull(ctx, "not in a pipeline yet");
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    super.handlerAdded(ctx);
  }

  /** Flushes after the reads of this event-loop turn (of every connection of the loop). */
  final void flushSoon() {
    if (!flushScheduled && ctx != null) {
      flushScheduled = true;
      ctx.executor().execute(flushTask);
    }
  }

  private void flushNow() {
    flushScheduled = false;
    // Through the handler itself: the flow controller holds DATA until writePendingBytes.
    flush(context());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
      super.exceptionCaught(ctx, cause); // a protocol error: GOAWAY or RST_STREAM as it says
    } else {
      ctx.close(); // an I/O failure: the connection is done, its streams end with it
    }
  }

  /**
   * A connection state whose outbound flow control shares the window evenly between streams,
   * without the priority tree of the default distributor: a proxy has no priorities of its own to
   * honour (it does not forward PRIORITY), and the tree cost a tenth of the per-stream time.
   */
  static Http2Connection newConnection(boolean server) {
    Http2Connection c = new DefaultHttp2Connection(server);
    c.remote()
        .flowController(
            new DefaultHttp2RemoteFlowController(c, new UniformStreamByteDistributor(c)));
    return c;
  }

  final boolean active() {
    return ctx != null && ctx.channel().isActive();
  }

  final void headers(int id, Http2Headers h, boolean end) {
    ChannelHandlerContext ctx = context();
    encoder().writeHeaders(ctx, id, h, 0, end, ctx.newPromise());
    flushSoon();
  }

  /**
   * Writes DATA for stream {@code id}; once it went out (or failed), {@code from} gets its {@code
   * bytes} of window back for stream {@code fromId}: read-after-write across the proxy, so HTTP/2
   * flow control reaches from one peer to the other. A frame for an open stream goes to the flow
   * controller as a {@link ForwardedData}; anything else (a stream still waiting in the upstream's
   * buffering encoder, or gone) takes the encoder's own way, which buffers it or fails it.
   */
  final void data(int id, ByteBuf data, boolean end, Http2Side from, int fromId, int bytes) {
    ChannelHandlerContext ctx = context();
    ChannelPromise p = ctx.newPromise();
    Http2Stream s = connection().stream(id);
    if (s != null
        && (s.state() == Http2Stream.State.OPEN
            || s.state() == Http2Stream.State.HALF_CLOSED_REMOTE)) {
      encoder()
          .flowController()
          .addFlowControlled(s, new ForwardedData(this, s, data, end, p, from, fromId, bytes));
    } else {
      p.addListener(f -> from.consumed(fromId, bytes));
      encoder().writeData(ctx, id, data, 0, end, p);
    }
    flushSoon();
  }

  final void reset(int id, long code) {
    ChannelHandlerContext ctx = context();
    encoder().writeRstStream(ctx, id, code, ctx.newPromise());
    flushSoon();
  }

  /** Returns {@code bytes} of stream {@code id}'s window to the peer (no-op once it closed). */
  final void consumed(int id, int bytes) {
    if (bytes == 0 || ctx == null) {
      return;
    }
    Http2Stream s = connection().stream(id);
    try {
      if (s != null && decoder().flowController().consumeBytes(s, bytes)) {
        flushSoon();
      }
    } catch (Http2Exception e) {
      ctx.close();
    }
  }

  /**
   * Frame callbacks of one side. A proxy does not forward priorities, so HEADERS with priority
   * fields arrive as plain HEADERS.
   */
  abstract static class StreamFrames extends Http2FrameAdapter {
    @Override
    public abstract void onHeadersRead(
        ChannelHandlerContext ctx, int id, Http2Headers headers, int padding, boolean end);

    @Override
    public final void onHeadersRead(
        ChannelHandlerContext ctx,
        int id,
        Http2Headers headers,
        int dependency,
        short weight,
        boolean exclusive,
        int padding,
        boolean end) {
      onHeadersRead(ctx, id, headers, padding, end);
    }
  }
}
