package dev.portolan.proxy.net;

import io.netty.channel.Channel;
import io.netty.channel.unix.RawUnixChannelOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * Reads a redirected connection's original destination with {@code getsockopt(SO_ORIGINAL_DST)}
 * ({@link SocketCalls}; no privilege needed in the proxy).
 */
public final class OriginalDestination {
  static final int SOL_IP = 0;
  static final int SOL_IPV6 = 41;
  static final int SO_ORIGINAL_DST = 80;
  static final int IP6T_SO_ORIGINAL_DST = 80;
  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;
  private static final RawUnixChannelOption V4 =
      SocketCalls.option("SO_ORIGINAL_DST", SOL_IP, SO_ORIGINAL_DST, 16);
  private static final RawUnixChannelOption V6 =
      SocketCalls.option("IP6T_SO_ORIGINAL_DST", SOL_IPV6, IP6T_SO_ORIGINAL_DST, 28);

  private OriginalDestination() {}

  /**
   * Thrown when the kernel has no original destination for the socket (its message: the kernel's,
   * "No such file or directory" for a connection that was not redirected).
   */
  public static final class NotRedirectedException extends Exception {
    NotRedirectedException(SocketCalls.Refused e) {
      super("no original destination: " + e.getMessage(), e);
    }
  }

  /**
   * @param ch the accepted connection
   * @param ipv6 whether the socket is IPv6
   */
  public static InetSocketAddress of(Channel ch, boolean ipv6) throws NotRedirectedException {
    try {
      return decode(SocketCalls.get(ch, ipv6 ? V6 : V4));
    } catch (SocketCalls.Refused e) {
      throw new NotRedirectedException(e);
    }
  }

  /** sockaddr_in / sockaddr_in6: family (host order), port (network order), address. */
  static InetSocketAddress decode(ByteBuffer sa) {
    int family = (sa.get(0) & 0xff) | ((sa.get(1) & 0xff) << 8);
    int port = ((sa.get(2) & 0xff) << 8) | (sa.get(3) & 0xff);
    byte[] ip;
    if (family == AF_INET) {
      ip = new byte[4];
      sa.get(4, ip);
    } else if (family == AF_INET6) {
      ip = new byte[16];
      sa.get(8, ip);
    } else {
      throw new IllegalStateException("unexpected address family " + family);
    }
    try {
      return new InetSocketAddress(InetAddress.getByAddress(ip), port);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Where a connection accepted on {@code local} was really going: the original destination, or the
   * local address when it was not redirected.
   */
  public static InetSocketAddress orLocal(Channel ch, InetSocketAddress local) {
    try {
      return of(ch, local.getAddress() instanceof java.net.Inet6Address);
    } catch (NotRedirectedException e) {
      return local;
    }
  }

  /**
   * A connection whose original destination is one of the proxy's own listener ports was not
   * redirected by iptables: a peer (or a client) addressed the proxy directly.
   */
  public static boolean isDirect(InetSocketAddress original, int... proxyPorts) {
    for (int p : proxyPorts) {
      if (original.getPort() == p) {
        return true;
      }
    }
    return false;
  }
}
