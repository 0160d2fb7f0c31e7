package dev.portolan.policy.grpc;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/**
 * Lets the server reset one of its own streams (RST_STREAM), the only way to free what the
 * transport still holds for a client that does not read: a closing status waits behind that data,
 * for ever if the client never reads.
 *
 * <p>grpc-java resets a stream whose call context is cancelled with DEADLINE_EXCEEDED, and offers
 * no other server-side reset. A call's own cancellable context is not reachable from its handler,
 * so a stream tracer puts a cancellable context of ours under it, before the call starts; the
 * call's context is its child and is cancelled with it.
 */
final class StreamResets {
  private static final Context.Key<Context.CancellableContext> KEY =
      Context.key("portolan.stream-reset");

  private StreamResets() {}

  /** Installs the resettable context under every call. */
  static ServerStreamTracer.Factory tracerFactory() {
    ServerStreamTracer tracer =
        new ServerStreamTracer() {
          @Override
          public Context filterContext(Context context) {
            Context.CancellableContext resettable = context.withCancellation();
            return resettable.withValue(KEY, resettable);
          }
        };
    return new ServerStreamTracer.Factory() {
      @Override
      public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        return tracer;
      }
    };
  }

  /** The current call's reset, or null outside a call of a server with the tracer. */
  static Context.@Nullable CancellableContext current() {
    return KEY.get();
  }

  /** Resets the stream of {@code resettable}'s call; {@code why} goes into the server's status. */
  static void reset(Context.CancellableContext resettable, @Nullable String why) {
    resettable.cancel(Status.DEADLINE_EXCEEDED.withDescription(why).asException());
  }
}
