package dev.portolan.proxy.peers;

import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a capture shows between clients and one server: per client and server port, the data
 * segments, and whether every byte stream (each direction of each connection, in capture order) is
 * a whole sequence of TLS records; and per client, segments carrying Redis in the clear.
 */
record Wire(String server, List<Pcap.Segment> segments) {
  static Wire of(Pcap pcap, String server) {
    return new Wire(
        server,
        pcap.segments().stream()
            .filter(s -> s.payload().length > 0)
            .filter(s -> s.dst().equals(server) || s.src().equals(server))
            .toList());
  }

  /** The data segments between {@code client} and the server's {@code port}. */
  Flow meshed(int port, String client) {
    List<Pcap.Segment> flow =
        segments.stream()
            .filter(s ->
                (s.src().equals(client) && s.dstPort() == port)
                    || (s.dst().equals(client) && s.srcPort() == port))
            .toList();
    Map<String, ByteArrayOutputStream> streams = new LinkedHashMap<>();
    for (Pcap.Segment s : flow) {
      streams
          .computeIfAbsent(
              s.src() + ":" + s.srcPort() + ">" + s.dst() + ":" + s.dstPort(),
              k -> new ByteArrayOutputStream())
          .writeBytes(s.payload());
    }
    boolean tls = streams.values().stream().allMatch(b -> tlsRecords(b.toByteArray()));
    return new Flow(flow.size(), streams.size(), tls);
  }

  /** Data segments between {@code client} and the server with a Redis command or reply in clear. */
  long clear(String client) {
    return segments.stream()
        .filter(s -> s.src().equals(client) || s.dst().equals(client))
        .filter(s ->
            s.contains("PING\r\n")
                || s.contains("SET\r\n")
                || s.contains("GET\r\n")
                || s.contains("__rand_int__")
                || s.contains("+PONG"))
        .count();
  }

  /**
   * True if the bytes are TLS records end to end: content type 20 to 23, version 3.x, a length,
   * that many bytes, again. A Redis command ({@code *1\r\n...}) fails at the first byte.
   */
  static boolean tlsRecords(byte[] b) {
    int i = 0;
    while (i < b.length) {
      if (i + 5 > b.length) {
        return false;
      }
      int type = b[i] & 0xff;
      if (type < 20 || type > 23 || (b[i + 1] & 0xff) != 3) {
        return false;
      }
      i += 5 + (((b[i + 3] & 0xff) << 8) | (b[i + 4] & 0xff));
    }
    return i == b.length;
  }

  /** Data segments, connections' directions, and whether all of it was TLS records. */
  record Flow(int segments, int streams, boolean tlsOnly) {}

  @Override
  public String toString() {
    Map<String, Integer> byPair = new LinkedHashMap<>();
    for (Pcap.Segment s : segments) {
      String client = s.src().equals(server) ? s.dst() : s.src();
      int port = s.src().equals(server) ? s.srcPort() : s.dstPort();
      byPair.merge(client + "->" + port, 1, Integer::sum);
    }
    return segments.size() + " data segments to or from " + server + " " + byPair;
  }
}
