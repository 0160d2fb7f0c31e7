package dev.portolan.proxy.net;

import io.netty.channel.Channel;
import io.netty.channel.unix.RawUnixChannelOption;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The congestion control of the proxy's sockets on the pod's loopback leg: the outbound listener
 * (the app's connections, redirected to 127.0.0.1:4140; accepted sockets inherit it) and the
 * inbound proxy's connections to the app on 127.0.0.1. Nodes often default to BBR, whose pacing and
 * bandwidth model cost a little on every segment and every ACK and have nothing to measure on
 * loopback (no loss, no queue, 64 KiB segments). {@code PORTOLAN_LOOPBACK_CONGESTION} picks the
 * algorithm for these sockets ({@code reno} by default: always built in and always allowed to an
 * unprivileged process); {@code kernel} leaves the node's choice. The pod-to-pod leg always keeps
 * the node's choice: that is the operator's network.
 *
 * <p>Set with {@code setsockopt(IPPROTO_TCP, TCP_CONGESTION)} ({@link SocketCalls}). If the kernel
 * refuses (the algorithm is not loaded, or not allowed), the proxy says so once and carries on with
 * the node's default: it is an optimisation, never a reason to drop a connection.
 */
public final class LoopbackLeg {
  private static final Logger log = LoggerFactory.getLogger(LoopbackLeg.class);
  static final int IPPROTO_TCP = 6;
  static final int TCP_CONGESTION = 13;
  // TCP_CA_NAME_MAX is 16, with the terminating NUL.
  private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,15}");
  private static final RawUnixChannelOption READ = option(16);

  /**
   * The algorithm's name and the option that sets it (its length is the name's); none for the empty
   * name, the node's default.
   */
  private record Algorithm(String name, @Nullable RawUnixChannelOption option) {
    static Algorithm of(String name) {
      return new Algorithm(name, name.isEmpty() ? null : LoopbackLeg.option(name.length()));
    }
  }

  private static volatile Algorithm algorithm = Algorithm.of("reno");
  private static final AtomicBoolean refused = new AtomicBoolean();

  private LoopbackLeg() {}

  /**
   * Reads {@code PORTOLAN_LOOPBACK_CONGESTION}: an algorithm name, or {@code kernel} (returned as
   * the empty string) to keep the node's default.
   *
   * @throws IllegalArgumentException naming the variable and the value when it is no algorithm name
   */
  public static String parse(@Nullable String value) {
    String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
    if (v.isEmpty()) {
      return "reno";
    }
    if (v.equals("kernel")) {
      return "";
    }
    if (!NAME.matcher(v).matches()) {
      throw new IllegalArgumentException(
          "PORTOLAN_LOOPBACK_CONGESTION: '"
              + value
              + "' is not a congestion control name (reno, cubic, …) or kernel");
    }
    return v;
  }

  /** The algorithm for the loopback leg from now on ({@link #parse}'s result). */
  public static void use(String name) {
    algorithm = Algorithm.of(name);
    refused.set(false);
  }

  /** Tunes a listener on the loopback leg: the sockets it accepts inherit the algorithm. */
  public static void listener(Channel ch) {
    tune(ch);
  }

  /**
   * Tunes a connection the proxy is opening, before it connects, when its target is on this host's
   * loopback (the inbound proxy's leg to the app); {@link IoTransport.Dial} calls it for every
   * dial.
   */
  static void dialling(Channel ch, InetSocketAddress target) {
    if (target.getAddress() != null && target.getAddress().isLoopbackAddress()) {
      tune(ch);
    }
  }

  private static void tune(Channel ch) {
    Algorithm a = algorithm;
    RawUnixChannelOption option = a.option();
    if (option == null || refused.get()) {
      return;
    }
    try {
      SocketCalls.set(ch, option, ByteBuffer.wrap(a.name().getBytes(StandardCharsets.US_ASCII)));
    } catch (SocketCalls.Refused e) {
      if (refused.compareAndSet(false, true)) {
        log.warn(
            "PORTOLAN_LOOPBACK_CONGESTION={}: the kernel refused it ({}): the loopback leg keeps"
                + " the node's congestion control",
            a.name(),
            e.getMessage());
      }
    }
  }

  private static RawUnixChannelOption option(int length) {
    return SocketCalls.option("TCP_CONGESTION", IPPROTO_TCP, TCP_CONGESTION, length);
  }

  /** The socket's congestion control algorithm ({@code getsockopt(TCP_CONGESTION)}). */
  static String of(Channel ch) throws SocketCalls.Refused {
    ByteBuffer value = SocketCalls.get(ch, READ);
    int end = 0;
    while (end < value.limit() && value.get(end) != 0) {
      end++;
    }
    return new String(value.array(), value.arrayOffset(), end, StandardCharsets.US_ASCII);
  }
}
