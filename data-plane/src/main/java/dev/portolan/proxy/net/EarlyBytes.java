package dev.portolan.proxy.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Bytes a handler in front of the front door read past what it needed (the application bytes that
 * followed a transport header in the same TLS record), handed over once the connection is routed.
 * The supplier is called once, on the channel's event loop: it returns the bytes (or null) and
 * takes its handler out of the pipeline, so that later reads go to the front door directly.
 */
public final class EarlyBytes {
  private static final AttributeKey<Supplier<@Nullable ByteBuf>> KEY =
      AttributeKey.valueOf("portolan.earlyBytes");

  private EarlyBytes() {}

  public static void offer(Channel ch, Supplier<@Nullable ByteBuf> drain) {
    ch.attr(KEY).set(drain);
  }

  /** The bytes offered on {@code ch}, once; null when none were offered. */
  public static @Nullable ByteBuf take(Channel ch) {
    Supplier<@Nullable ByteBuf> drain = ch.attr(KEY).getAndSet(null);
    return drain == null ? null : drain.get();
  }
}
