package dev.portolan.proxy.net;

import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SingleThreadIoEventLoop;
import io.netty.util.concurrent.RejectedExecutionHandlers;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The data path's event loops: Netty's, except that a loop goes back to its sockets after a short
 * quantum of queued tasks ({@link #DEFAULT_TASK_QUANTUM}, {@code PORTOLAN_TASK_QUANTUM}) instead of
 * Netty's default of a second. Under a connect flood the listener queues each accepted connection's
 * registration and set-up on the other loops; with Netty's default a loop worked through that queue
 * for up to 150–380 ms while a request on an established connection waited unread
 * (docs/benchmarks.md, "Slowloris: a request on an open connection"). Netty looks at the clock
 * every 64 tasks, so a turn still runs at least that many.
 */
public final class DataLoops extends MultiThreadIoEventLoopGroup {
  public static final Duration DEFAULT_TASK_QUANTUM = Duration.ofMillis(2);

  public DataLoops(int threads, IoHandlerFactory handlers, Duration taskQuantum) {
    // The quantum goes through the arguments: the super constructor creates the loops.
    super(threads, (Executor) null, handlers, taskQuantum.toMillis());
  }

  @Override
  protected IoEventLoop newChild(Executor executor, IoHandlerFactory handlers, Object... args) {
    return new SingleThreadIoEventLoop(
        this,
        executor,
        handlers,
        Integer.MAX_VALUE,
        RejectedExecutionHandlers.reject(),
        (Long) args[0]);
  }
}
