package dev.portolan.proxy.net;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * {@code getsockopt} and {@code setsockopt} through the FFM API (no JNI), with the call's errno:
 * what the proxy asks of its sockets that Netty's options do not cover.
 */
final class SocketCalls {
  private static final Linker LINKER = Linker.nativeLinker();
  private static final MemoryLayout CALL_STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO =
      CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final MethodHandle GETSOCKOPT =
      LINKER.downcallHandle(
          LINKER.defaultLookup().find("getsockopt").orElseThrow(),
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
          Linker.Option.captureCallState("errno"));
  private static final MethodHandle SETSOCKOPT =
      LINKER.downcallHandle(
          LINKER.defaultLookup().find("setsockopt").orElseThrow(),
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT),
          Linker.Option.captureCallState("errno"));

  private SocketCalls() {}

  /**
   * {@code getsockopt(fd, level, name, value, &len)} with {@code len} set to the value's size
   * first; returns 0 or the errno.
   */
  static int get(Arena arena, int fd, int level, int name, MemorySegment value) {
    MemorySegment len = arena.allocate(JAVA_INT);
    len.set(JAVA_INT, 0, (int) value.byteSize());
    MemorySegment state = arena.allocate(CALL_STATE);
    try {
      int rc = (int) GETSOCKOPT.invokeExact(state, fd, level, name, value, len);
      return rc == 0 ? 0 : (int) ERRNO.get(state, 0L);
    } catch (Throwable t) {
      throw new IllegalStateException("getsockopt call failed", t);
    }
  }

  /** {@code setsockopt(fd, level, name, value, length)}; returns 0 or the errno. */
  static int set(Arena arena, int fd, int level, int name, MemorySegment value, int length) {
    MemorySegment state = arena.allocate(CALL_STATE);
    try {
      int rc = (int) SETSOCKOPT.invokeExact(state, fd, level, name, value, length);
      return rc == 0 ? 0 : (int) ERRNO.get(state, 0L);
    } catch (Throwable t) {
      throw new IllegalStateException("setsockopt call failed", t);
    }
  }
}
