package dev.portolan.proxy.http2;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.PromiseNotifier;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Copies the small buffers written between two flushes into one, in order, so that a flush of many
 * small HTTP/2 frames (a HEADERS frame, a DATA frame's 9-byte head and its payload: three buffers
 * for a short response, and ten streams a turn) is one entry in the channel's outbound buffer
 * instead of dozens: each entry costs a recycled object, its promise's bookkeeping and an iovec
 * slot, more than copying a few hundred bytes. A large buffer goes on by itself, after the batch so
 * far. The promises of the copied writes complete with the batch's write.
 *
 * <p>A flush of a few buffers (one stream's response) does not pay for a batch of its own: up to
 * {@link #HELD} small buffers are only held, and go on as they are at the flush; the copying starts
 * with the next one.
 *
 * <p>At most {@link #CAPACITY} bytes wait here, and only until the next flush or large write: the
 * channel's writability does not count them, as it does not count any write before its flush.
 */
final class WriteBatch extends ChannelOutboundHandlerAdapter {
  /** A buffer of at most this many bytes is copied into the batch. */
  static final int SMALL = 1024;

  /** A batch holds at most this many bytes; the next small write starts another. */
  static final int CAPACITY = 16 * 1024;

  /** Up to this many small buffers between two flushes go on uncopied. */
  static final int HELD = 4;

  private final ByteBuf[] held = new ByteBuf[HELD];
  private int holding;
  private @Nullable ByteBuf batch;
  // The promises of what is held or batched, in order.
  private ChannelPromise[] promises = new ChannelPromise[8];
  private int waiting;

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof ByteBuf b) || b.readableBytes() > SMALL) {
      pass(ctx);
      ctx.write(msg, promise);
      return;
    }
    if (batch == null && holding < HELD) {
      held[holding++] = b;
      promises[waiting++] = promise;
      return;
    }
    ByteBuf into = batch;
    if (into == null) {
      into = ctx.alloc().directBuffer(Math.min(CAPACITY, 4 * SMALL), CAPACITY);
      batch = into;
      for (int i = 0; i < holding; i++) {
        copy(held[i], into);
        held[i] = null;
      }
      holding = 0;
    } else if (into.maxWritableBytes() < b.readableBytes()) {
      pass(ctx);
      write(ctx, b, promise); // into a new batch, or held
      return;
    }
    copy(b, into);
    if (waiting == promises.length) {
      promises = Arrays.copyOf(promises, waiting * 2);
    }
    promises[waiting++] = promise;
  }

  private static void copy(ByteBuf b, ByteBuf batch) {
    try {
      if (b.hasArray()) {
        // A heap frame (FrameBuffers): copied from its array, without a NIO view of it per copy.
        batch.writeBytes(b.array(), b.arrayOffset() + b.readerIndex(), b.readableBytes());
      } else {
        batch.writeBytes(b, b.readerIndex(), b.readableBytes());
      }
    } finally {
      b.release();
    }
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    pass(ctx);
    ctx.flush();
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    pass(ctx); // unflushed: the channel fails it as it closes, as any unflushed write
    ctx.close(promise);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    ByteBuf[] bufs = Arrays.copyOf(held, holding);
    ChannelPromise[] parts = Arrays.copyOf(promises, waiting);
    ByteBuf b = batch;
    reset();
    for (ByteBuf h : bufs) {
      h.release();
    }
    if (b != null) {
      b.release();
    }
    ClosedChannelException gone = new ClosedChannelException();
    for (ChannelPromise p : parts) {
      p.tryFailure(gone);
    }
  }

  /**
   * Writes what is held or batched, in order; a batch's promise completes those of its parts. The
   * state is cleared before anything is written: a write that fails at once may make the codec
   * write again (a reset), and that write must find this handler empty.
   */
  private void pass(ChannelHandlerContext ctx) {
    if (holding > 0) {
      ByteBuf[] bufs = Arrays.copyOf(held, holding);
      ChannelPromise[] parts = Arrays.copyOf(promises, holding);
      reset();
      for (int i = 0; i < bufs.length; i++) {
        ctx.write(bufs[i], parts[i]);
      }
    } else if (batch != null) {
      ByteBuf b = batch;
      ChannelPromise[] parts = nonVoid();
      reset();
      if (parts.length == 0) {
        ctx.write(b, ctx.voidPromise()); // a failure still reaches exceptionCaught
      } else {
        ChannelPromise all = ctx.newPromise();
        all.addListener(new PromiseNotifier<>(false, parts));
        ctx.write(b, all);
      }
    }
  }

  private ChannelPromise[] nonVoid() {
    int n = 0;
    ChannelPromise[] out = new ChannelPromise[waiting];
    for (int i = 0; i < waiting; i++) {
      if (!promises[i].isVoid()) {
        out[n++] = promises[i];
      }
    }
    return n == waiting ? out : Arrays.copyOf(out, n);
  }

  private void reset() {
    Arrays.fill(held, 0, holding, null);
    holding = 0;
    batch = null;
    Arrays.fill(promises, 0, waiting, null);
    waiting = 0;
  }
}
