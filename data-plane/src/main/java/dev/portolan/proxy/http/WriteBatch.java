package dev.portolan.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.PromiseNotifier;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;

/**
 * Copies the small buffers written between two flushes into one, in order, so that a flush of many
 * small HTTP/2 frames (a HEADERS frame, a DATA frame's 9-byte head and its payload: three buffers
 * for a short response, and ten streams a turn) is one entry in the channel's outbound buffer
 * instead of dozens: each entry costs a recycled object, its promise's bookkeeping and an iovec
 * slot, more than copying a few hundred bytes. A large buffer goes on by itself, after the batch so
 * far. The promises of the copied writes complete with the batch's write. A buffer alone between
 * two flushes goes on as it is, uncopied.
 *
 * <p>At most {@link #CAPACITY} bytes wait here, and only until the next flush or large write: the
 * channel's writability does not count them, as it does not count any write before its flush.
 */
final class WriteBatch extends ChannelOutboundHandlerAdapter {
  /** A buffer of at most this many bytes is copied into the batch. */
  static final int SMALL = 1024;

  /** A batch holds at most this many bytes; the next small write starts another. */
  static final int CAPACITY = 16 * 1024;

  private ByteBuf first;
  private ChannelPromise firstPromise;
  private ByteBuf batch;
  private ChannelPromise[] promises = new ChannelPromise[8];
  private int waiting;

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof ByteBuf b) || b.readableBytes() > SMALL) {
      pass(ctx);
      ctx.write(msg, promise);
      return;
    }
    if (first == null && batch == null) {
      first = b; // alone until a second comes: then no copy at all
      firstPromise = promise;
      return;
    }
    if (first != null) {
      batch = ctx.alloc().directBuffer(Math.min(CAPACITY, 4 * SMALL), CAPACITY);
      ByteBuf f = first;
      first = null;
      add(f, firstPromise);
      firstPromise = null;
    } else if (batch.maxWritableBytes() < b.readableBytes()) {
      pass(ctx);
      first = b;
      firstPromise = promise;
      return;
    }
    add(b, promise);
  }

  private void add(ByteBuf b, ChannelPromise promise) {
    try {
      batch.writeBytes(b, b.readerIndex(), b.readableBytes());
    } finally {
      b.release();
    }
    if (!promise.isVoid()) {
      if (waiting == promises.length) {
        promises = Arrays.copyOf(promises, waiting * 2);
      }
      promises[waiting++] = promise;
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
    if (first != null) {
      first.release();
      first = null;
      firstPromise.tryFailure(new ClosedChannelException());
      firstPromise = null;
    }
    if (batch != null) {
      batch.release();
      batch = null;
      ClosedChannelException gone = new ClosedChannelException();
      for (int i = 0; i < waiting; i++) {
        promises[i].tryFailure(gone);
      }
      clear();
    }
  }

  /** Writes the batch so far, if any, with a promise that completes those of its parts. */
  private void pass(ChannelHandlerContext ctx) {
    if (first != null) {
      ByteBuf f = first;
      ChannelPromise p = firstPromise;
      first = null;
      firstPromise = null;
      ctx.write(f, p);
      return;
    }
    if (batch == null) {
      return;
    }
    ByteBuf b = batch;
    batch = null;
    if (waiting == 0) {
      ctx.write(b, ctx.voidPromise()); // a failure still reaches exceptionCaught
    } else if (waiting == 1) {
      ctx.write(b, promises[0]);
    } else {
      ChannelPromise all = ctx.newPromise();
      all.addListener(new PromiseNotifier<>(false, Arrays.copyOf(promises, waiting)));
      ctx.write(b, all);
    }
    clear();
  }

  private void clear() {
    Arrays.fill(promises, 0, waiting, null);
    waiting = 0;
  }
}
