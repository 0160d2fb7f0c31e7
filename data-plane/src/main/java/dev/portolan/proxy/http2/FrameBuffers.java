package dev.portolan.proxy.http2;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;

/**
 * The allocator of the HTTP/2 connections: the codec's own buffers (a frame being encoded, {@code
 * buffer()}) are plain heap arrays, cheap to take and left to the garbage collector, since {@link
 * WriteBatch} copies them into one direct buffer per flush; reads and batches ({@code ioBuffer()},
 * {@code directBuffer()}) come from the default allocator as before.
 */
final class FrameBuffers extends AbstractByteBufAllocator {
  static final ByteBufAllocator INSTANCE = new FrameBuffers(ByteBufAllocator.DEFAULT);

  /** The initial capacity of {@code buffer()}, in bytes. */
  static final int HEADER_BLOCK = 64;

  private final ByteBufAllocator direct;

  private FrameBuffers(ByteBufAllocator direct) {
    super(false); // buffer() is a heap buffer
    this.direct = direct;
  }

  /**
   * A header block being encoded: HPACK makes most of them a few dozen bytes, so this starts at
   * {@link #HEADER_BLOCK} bytes instead of Netty's 256, and grows for the rare larger one.
   */
  @Override
  public ByteBuf buffer() {
    return heapBuffer(HEADER_BLOCK);
  }

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    return direct.directBuffer(initialCapacity, maxCapacity);
  }

  /** Pooled as the default allocator's are: so {@code ioBuffer()} is direct. */
  @Override
  public boolean isDirectBufferPooled() {
    return true;
  }
}
