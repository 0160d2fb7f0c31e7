package dev.portolan.proxy.net;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Reads a redirected connection's original destination with {@code getsockopt(SO_ORIGINAL_DST)}
 * through the FFM API (no JNI, no privilege needed in the proxy).
 */
public final class OriginalDestination {
  static final int SOL_IP = 0;
  static final int SOL_IPV6 = 41;
  static final int SO_ORIGINAL_DST = 80;
  static final int IP6T_SO_ORIGINAL_DST = 80;
  static final int ENOENT = 2;
  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;

  private OriginalDestination() {}

  /** Thrown when the kernel has no original destination for the socket. */
  public static final class NotRedirectedException extends Exception {
    private final int errno;

    NotRedirectedException(int errno) {
      super(
          errno == ENOENT ? "connection was not redirected" : "getsockopt failed, errno " + errno);
      this.errno = errno;
    }

    public int errno() {
      return errno;
    }
  }

  /**
   * @param fd the accepted socket's file descriptor
   * @param ipv6 whether the socket is IPv6
   */
  public static InetSocketAddress of(int fd, boolean ipv6) throws NotRedirectedException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment addr = arena.allocate(ipv6 ? 28 : 16);
      int errno =
          SocketCalls.get(
              arena,
              fd,
              ipv6 ? SOL_IPV6 : SOL_IP,
              ipv6 ? IP6T_SO_ORIGINAL_DST : SO_ORIGINAL_DST,
              addr);
      if (errno != 0) {
        throw new NotRedirectedException(errno);
      }
      return decode(addr);
    }
  }

  /** sockaddr_in / sockaddr_in6: family (host order), port (network order), address. */
  static InetSocketAddress decode(MemorySegment sa) {
    int family = (sa.get(JAVA_BYTE, 0) & 0xff) | ((sa.get(JAVA_BYTE, 1) & 0xff) << 8);
    int port = ((sa.get(JAVA_BYTE, 2) & 0xff) << 8) | (sa.get(JAVA_BYTE, 3) & 0xff);
    byte[] ip;
    if (family == AF_INET) {
      ip = sa.asSlice(4, 4).toArray(JAVA_BYTE);
    } else if (family == AF_INET6) {
      ip = sa.asSlice(8, 16).toArray(JAVA_BYTE);
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
  public static InetSocketAddress orLocal(int fd, InetSocketAddress local) {
    try {
      return of(fd, local.getAddress() instanceof java.net.Inet6Address);
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
