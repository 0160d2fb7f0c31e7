package dev.portolan.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;

/**
 * The allocator of the HTTP/2 connections: the codec's own buffers (a frame being encoded, {@code
 * buffer()}) are plain heap arrays, cheap to take and left to the garbage collector, since {@link
 * WriteBatch} copies them into one direct buffer per flush; reads and batches ({@code ioBuffer()},
 * {@code directBuffer()}) come from the default allocator as before.
 */
final class FrameBuffers implements ByteBufAllocator {
  static final ByteBufAllocator INSTANCE = new FrameBuffers(ByteBufAllocator.DEFAULT);

  private final ByteBufAllocator heap = new UnpooledByteBufAllocator(false, true);
  private final ByteBufAllocator direct;

  private FrameBuffers(ByteBufAllocator direct) {
    this.direct = direct;
  }

  @Override
  public ByteBuf buffer() {
    return heap.heapBuffer();
  }

  @Override
  public ByteBuf buffer(int initialCapacity) {
    return heap.heapBuffer(initialCapacity);
  }

  @Override
  public ByteBuf buffer(int initialCapacity, int maxCapacity) {
    return heap.heapBuffer(initialCapacity, maxCapacity);
  }

  @Override
  public ByteBuf ioBuffer() {
    return direct.ioBuffer();
  }

  @Override
  public ByteBuf ioBuffer(int initialCapacity) {
    return direct.ioBuffer(initialCapacity);
  }

  @Override
  public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
    return direct.ioBuffer(initialCapacity, maxCapacity);
  }

  @Override
  public ByteBuf heapBuffer() {
    return heap.heapBuffer();
  }

  @Override
  public ByteBuf heapBuffer(int initialCapacity) {
    return heap.heapBuffer(initialCapacity);
  }

  @Override
  public ByteBuf heapBuffer(int initialCapacity, int maxCapacity) {
    return heap.heapBuffer(initialCapacity, maxCapacity);
  }

  @Override
  public ByteBuf directBuffer() {
    return direct.directBuffer();
  }

  @Override
  public ByteBuf directBuffer(int initialCapacity) {
    return direct.directBuffer(initialCapacity);
  }

  @Override
  public ByteBuf directBuffer(int initialCapacity, int maxCapacity) {
    return direct.directBuffer(initialCapacity, maxCapacity);
  }

  @Override
  public CompositeByteBuf compositeBuffer() {
    return heap.compositeHeapBuffer();
  }

  @Override
  public CompositeByteBuf compositeBuffer(int maxNumComponents) {
    return heap.compositeHeapBuffer(maxNumComponents);
  }

  @Override
  public CompositeByteBuf compositeHeapBuffer() {
    return heap.compositeHeapBuffer();
  }

  @Override
  public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
    return heap.compositeHeapBuffer(maxNumComponents);
  }

  @Override
  public CompositeByteBuf compositeDirectBuffer() {
    return direct.compositeDirectBuffer();
  }

  @Override
  public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
    return direct.compositeDirectBuffer(maxNumComponents);
  }

  @Override
  public boolean isDirectBufferPooled() {
    return direct.isDirectBufferPooled();
  }

  @Override
  public int calculateNewCapacity(int minNewCapacity, int maxCapacity) {
    return direct.calculateNewCapacity(minNewCapacity, maxCapacity);
  }
}
