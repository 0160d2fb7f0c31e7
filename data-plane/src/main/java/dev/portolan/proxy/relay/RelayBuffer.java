package dev.portolan.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * One direction's buffer of a native relay, at a fixed native address between resizes. It starts at
 * 2 KiB, grows to 16 KiB once a read fills it (a bulk transfer) and returns to 2 KiB after 32 small
 * reads in a row: an idle relayed pair holds 4 KiB, a busy one at most 32 KiB.
 */
final class RelayBuffer {
  static final int MIN = 2048;
  static final int MAX = 16384;
  private static final int SHRINK_AFTER = 32;

  private final ByteBufAllocator alloc;
  private ByteBuf buf;
  private long address;
  private int smallReads;

  RelayBuffer(ByteBufAllocator alloc) {
    this.alloc = alloc;
    allocate(MIN);
  }

  long address() {
    return address;
  }

  int capacity() {
    return buf.capacity();
  }

  /** Takes {@code early} (and releases it), in a buffer large enough; returns its length. */
  int fill(ByteBuf early) {
    int n = early.readableBytes();
    if (n > capacity()) {
      allocate(n);
    }
    buf.setBytes(0, early, early.readerIndex(), n);
    early.release();
    return n;
  }

  /** A read of {@code length} bytes was passed on whole: the size for the next read. */
  void passedOn(int length) {
    int capacity = buf.capacity();
    if (length == capacity && capacity < MAX) {
      smallReads = 0;
      allocate(MAX);
    } else if (capacity > MIN && length <= MIN / 2) {
      if (++smallReads >= SHRINK_AFTER) {
        smallReads = 0;
        allocate(MIN);
      }
    } else {
      smallReads = 0;
    }
  }

  void release() {
    buf.release();
  }

  private void allocate(int size) {
    if (buf != null) {
      buf.release();
    }
    buf = alloc.directBuffer(size, size);
    address = io.netty.channel.unix.Buffer.memoryAddress(buf.internalNioBuffer(0, size));
  }
}
