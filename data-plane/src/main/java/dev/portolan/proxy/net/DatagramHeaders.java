package dev.portolan.proxy.net;

import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import org.jspecify.annotations.Nullable;

/**
 * Frees the datagram message headers each io_uring event loop allocates and the proxy never uses
 * (docs/proxy.md, "Memory"). Netty 4.2's {@code IoUringIoHandler} builds, in its constructor, a
 * pool of 1,024 {@code msghdr}s for UDP {@code sendmsg}/{@code recvmsg}: per loop ~230 KiB of
 * native memory and ~600 KiB of heap (eight {@code DirectByteBuffer} views each), 24,600 objects
 * for a proxy's three loops, kept for its life. The pool's size is fixed in Netty's code, and the
 * proxy has no UDP: each new handler gets a pool of one instead, and the large one is released.
 *
 * <p>Done through reflection on Netty's internals, so it is checked: if a Netty release renames
 * them, the handler stays as Netty made it ({@link #shrink} returns false), and {@code
 * DatagramHeadersTest} fails on the upgrade.
 */
final class DatagramHeaders {
  private static final short KEPT = 1;
  private static final @Nullable Netty NETTY = Netty.find();

  /** Netty's pool field and the pool's constructor and methods, if they are where expected. */
  private record Netty(Field pool, Constructor<?> newPool, Method release, Method capacity) {
    static @Nullable Netty find() {
      try {
        Field pool = IoUringIoHandler.class.getDeclaredField("msgHdrMemoryArray");
        Class<?> type = pool.getType();
        Netty n =
            new Netty(
                pool,
                type.getDeclaredConstructor(short.class),
                type.getDeclaredMethod("release"),
                type.getDeclaredMethod("capacity"));
        n.pool.setAccessible(true);
        n.newPool.setAccessible(true);
        n.release.setAccessible(true);
        n.capacity.setAccessible(true);
        return n;
      } catch (ReflectiveOperationException | RuntimeException e) {
        return null;
      }
    }
  }

  private DatagramHeaders() {}

  /** io_uring handlers whose datagram header pools are shrunk as they are made. */
  static IoHandlerFactory shrinking(IoHandlerFactory uring) {
    return new IoHandlerFactory() {
      @Override
      public IoHandler newHandler(ThreadAwareExecutor executor) {
        IoHandler handler = uring.newHandler(executor);
        shrink(handler);
        return handler;
      }

      @Override
      public boolean isChangingThreadSupported() {
        return uring.isChangingThreadSupported();
      }
    };
  }

  /** Replaces the handler's pool by one of {@value #KEPT}; false if it could not. */
  static boolean shrink(IoHandler handler) {
    Netty n = NETTY;
    if (n == null || !(handler instanceof IoUringIoHandler)) {
      return false;
    }
    try {
      Object large = n.pool.get(handler);
      n.pool.set(handler, n.newPool.newInstance(KEPT));
      n.release.invoke(large);
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /** The size of the handler's datagram header pool, or -1 if it cannot be read. */
  static int capacity(IoHandler handler) {
    Netty n = NETTY;
    if (n == null || !(handler instanceof IoUringIoHandler)) {
      return -1;
    }
    try {
      return (int) n.capacity.invoke(n.pool.get(handler));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return -1;
    }
  }
}
