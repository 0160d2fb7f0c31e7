package dev.portolan.proxy.peers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The TCP segments of a classic pcap file (Ethernet, IPv4) as written by {@code tcpdump -w}: enough
 * to say what was on the wire between two pods of a test bed.
 */
record Pcap(List<Segment> segments) {
  /** One TCP segment and its payload. */
  record Segment(String src, int srcPort, String dst, int dstPort, byte[] payload) {
    boolean startsWith(int... bytes) {
      if (payload.length < bytes.length) {
        return false;
      }
      for (int i = 0; i < bytes.length; i++) {
        if ((payload[i] & 0xff) != bytes[i]) {
          return false;
        }
      }
      return true;
    }

    boolean contains(String ascii) {
      byte[] n = ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      outer:
      for (int i = 0; i + n.length <= payload.length; i++) {
        for (int j = 0; j < n.length; j++) {
          if (payload[i + j] != n[j]) {
            continue outer;
          }
        }
        return true;
      }
      return false;
    }
  }

  static Pcap read(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
    int magic = b.order(ByteOrder.LITTLE_ENDIAN).getInt(0);
    if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
      b.order(ByteOrder.BIG_ENDIAN);
    }
    // The file's own fields in its byte order; the frames' fields in network order.
    ByteBuffer n = b.duplicate().order(ByteOrder.BIG_ENDIAN);
    int linkType = b.getInt(20);
    if (linkType != 1) {
      throw new IOException("link type " + linkType + ", expected Ethernet (1)");
    }
    List<Segment> out = new ArrayList<>();
    int pos = 24;
    while (pos + 16 <= b.limit()) {
      int captured = b.getInt(pos + 8);
      int frame = pos + 16;
      pos = frame + captured;
      if (pos > b.limit()) {
        break; // the last record was cut by the capture's end
      }
      if (captured < 14 + 20 || (b.get(frame + 12) & 0xff) != 0x08 || b.get(frame + 13) != 0) {
        continue; // not IPv4
      }
      int ip = frame + 14;
      int ihl = (b.get(ip) & 0x0f) * 4;
      if (b.get(ip + 9) != 6) {
        continue; // not TCP
      }
      int totalLength = n.getShort(ip + 2) & 0xffff;
      int tcp = ip + ihl;
      int dataOffset = ((b.get(tcp + 12) & 0xf0) >> 4) * 4;
      int start = tcp + dataOffset;
      int end = Math.min(ip + totalLength, frame + captured);
      byte[] payload = new byte[Math.max(0, end - start)];
      b.get(start, payload);
      out.add(
          new Segment(
              addr(b, ip + 12),
              n.getShort(tcp) & 0xffff,
              addr(b, ip + 16),
              n.getShort(tcp + 2) & 0xffff,
              payload));
    }
    return new Pcap(out);
  }

  private static String addr(ByteBuffer b, int at) {
    return (b.get(at) & 0xff)
        + "."
        + (b.get(at + 1) & 0xff)
        + "."
        + (b.get(at + 2) & 0xff)
        + "."
        + (b.get(at + 3) & 0xff);
  }
}
