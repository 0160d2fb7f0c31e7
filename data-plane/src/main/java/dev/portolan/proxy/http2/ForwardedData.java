package dev.portolan.proxy.http2;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Stream;
import org.jspecify.annotations.Nullable;

/**
 * One forwarded DATA frame waiting in a side's outbound flow controller: what Netty's encoder
 * queues for {@code writeData}, for the one case the proxy has (one buffer, no padding, one
 * promise), without its per-frame buffer queue, second promise and listener. When the window allows
 * only part of it, the part goes out as a frame of its own and the rest waits; the frame's promise
 * completes with its last part.
 *
 * <p>It is also the promise's only listener: once the frame went out, or failed, the sender gets
 * its {@code bytes} of window back ({@link Http2Side#consumed}); a failed write is reported to the
 * connection as Netty's own frames report it.
 */
final class ForwardedData
    implements Http2RemoteFlowController.FlowControlled, ChannelFutureListener {
  private final Http2Side side;
  private final Http2Stream stream;
  private final boolean end;
  private final ChannelPromise promise;
  private final Http2Side from;
  private final int fromId;
  private final int bytes;
  private @Nullable ByteBuf data; // what is left to write; null once written or failed
  private int size; // as the flow controller counts it: unchanged by a failure until write()
  private boolean failed;

  ForwardedData(
      Http2Side side,
      Http2Stream stream,
      ByteBuf data,
      boolean end,
      ChannelPromise promise,
      Http2Side from,
      int fromId,
      int bytes) {
    this.side = side;
    this.stream = stream;
    this.data = data;
    this.end = end;
    this.promise = promise;
    this.from = from;
    this.fromId = fromId;
    this.bytes = bytes;
    this.size = data.readableBytes();
    promise.addListener(this);
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void write(ChannelHandlerContext ctx, int allowed) {
    ByteBuf left = data;
    if (left == null) {
      size = 0; // failed meanwhile: nothing is left to count against the window
      return;
    }
    int n = left.readableBytes();
    if (!end && n == 0) {
      // An empty frame that does not end the stream carries nothing: no frame, but its promise
      // completes in order with the writes before it (as Netty's encoder does).
      data = null;
      ctx.write(left, promise);
      return;
    }
    if (n <= allowed) {
      data = null;
      size = 0;
      side.encoder().frameWriter().writeData(ctx, stream.id(), left, 0, end, promise);
    } else if (allowed > 0) {
      size = n - allowed;
      ChannelPromise part = ctx.newPromise().addListener(this);
      side.encoder()
          .frameWriter()
          .writeData(ctx, stream.id(), left.readRetainedSlice(allowed), 0, false, part);
    }
  }

  @Override
  public void writeComplete() {
    if (end) {
      side.closeStreamLocal(stream, promise);
    }
  }

  @Override
  public void error(ChannelHandlerContext ctx, Throwable cause) {
    fail(ctx, cause);
  }

  @Override
  public boolean merge(ChannelHandlerContext ctx, Http2RemoteFlowController.FlowControlled next) {
    return false; // each forwarded frame keeps its own window accounting back to its sender
  }

  @Override
  public void operationComplete(ChannelFuture f) {
    if (f == promise) {
      from.consumed(fromId, bytes);
    }
    if (!f.isSuccess()) {
      fail(side.context(), f.cause());
    }
  }

  private void fail(ChannelHandlerContext ctx, Throwable cause) {
    if (failed) {
      return;
    }
    failed = true;
    if (data != null) {
      data.release();
      data = null;
    }
    promise.tryFailure(cause);
    side.onError(ctx, true, cause);
  }
}
