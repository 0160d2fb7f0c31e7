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

  private static final AttributeKey<Boolean> READ_PENDING =
      AttributeKey.valueOf("portolan.earlyBytes.readPending");

  public static void offer(Channel ch, Supplier<@Nullable ByteBuf> drain) {
    ch.attr(KEY).set(drain);
  }

  /**
   * @param readPending a read asked of Netty by the handler and not answered yet: its bytes will
   *     reach the front door, which must then keep the pipeline relay (no socket hand-over)
   */
  public static void offer(Channel ch, Supplier<@Nullable ByteBuf> drain, boolean readPending) {
    ch.attr(KEY).set(drain);
    ch.attr(READ_PENDING).set(readPending);
  }

  /** Whether the handler that offered bytes left a read pending (once; false when none). */
  public static boolean takeReadPending(Channel ch) {
    return Boolean.TRUE.equals(ch.attr(READ_PENDING).getAndSet(null));
  }

  /** The bytes offered on {@code ch}, once; null when none were offered. */
  public static @Nullable ByteBuf take(Channel ch) {
    Supplier<@Nullable ByteBuf> drain = ch.attr(KEY).getAndSet(null);
    return drain == null ? null : drain.get();
  }
}
