package dev.portolan.proxy.net;

import io.netty.channel.Channel;
import io.netty.channel.unix.RawUnixChannelOption;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** What the kernel knows of a TCP connection ({@code getsockopt(TCP_INFO)}). */
public final class TcpInfo {
  private static final int IPPROTO_TCP = 6;
  private static final int TCP_INFO = 11;

  /** Offset of {@code tcpi_bytes_received} in {@code struct tcp_info} (Linux 4.1 and later). */
  static final int BYTES_RECEIVED = 128;

  private static final RawUnixChannelOption OPTION =
      SocketCalls.option("TCP_INFO", IPPROTO_TCP, TCP_INFO, BYTES_RECEIVED + Long.BYTES);

  private TcpInfo() {}

  /**
   * The payload bytes the kernel has received from the peer, whether or not the proxy has read them
   * yet; 0 on a kernel older than 4.1 (its {@code tcp_info} ends before the field), -1 when the
   * socket cannot say (closed).
   */
  public static long bytesReceived(Channel ch) {
    try {
      ByteBuffer info = SocketCalls.get(ch, OPTION).order(ByteOrder.nativeOrder());
      return info.getLong(BYTES_RECEIVED);
    } catch (SocketCalls.Refused e) {
      return -1;
    }
  }
}
