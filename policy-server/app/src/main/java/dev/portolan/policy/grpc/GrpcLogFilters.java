package dev.portolan.policy.grpc;

import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Filter;
import java.util.logging.Logger;

/**
 * Drops grpc-java's own warnings about what clients do that the server already counts and reports
 * without a stack trace: a request over the size limit (ConnectionLimits counts and logs it) and a
 * write to a stream the client has just reset (a proxy going away mid-update). grpc-java logs each
 * with a stack trace, one per occurrence, so a misbehaving client could fill the log.
 */
final class GrpcLogFilters {
  private static final String NETTY = "io.grpc.netty.shaded.io.grpc.netty.";
  // Held strongly: java.util.logging keeps its loggers (and their filters) weakly.
  private static final Logger STREAM = Logger.getLogger(NETTY + "NettyServerStream");
  private static final Logger HANDLER = Logger.getLogger(NETTY + "NettyServerHandler");

  private static final AtomicBoolean INSTALLED = new AtomicBoolean();

  private GrpcLogFilters() {}

  static void install() {
    if (!INSTALLED.compareAndSet(false, true)) {
      return;
    }
    STREAM.setFilter(
        and(
            STREAM.getFilter(),
            r ->
                !(r.getThrown() != null && isRefusedForSize(Status.fromThrowable(r.getThrown())))));
    HANDLER.setFilter(
        and(
            HANDLER.getFilter(),
            r ->
                !("Stream Error".equals(r.getMessage())
                    && r.getThrown() != null
                    && String.valueOf(r.getThrown().getMessage())
                        .startsWith("Stream closed before write could take place"))));
  }

  private static boolean isRefusedForSize(Status s) {
    return s.getCode() == Status.Code.RESOURCE_EXHAUSTED
        && s.getDescription() != null
        && s.getDescription().startsWith("gRPC message exceeds maximum size");
  }

  private static Filter and(Filter existing, Filter mine) {
    return existing == null ? mine : r -> existing.isLoggable(r) && mine.isLoggable(r);
  }
}
