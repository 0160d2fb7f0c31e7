package dev.portolan.proxy.detect;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The one ClientHello parser of the proxy: reads the server name (SNI) and the offered ALPN
 * protocols out of the first bytes of a TLS connection, without consuming them. Detection uses it
 * to label a TLS client's SNI; the inbound side to decide whether to terminate mesh TLS (a
 * ClientHello naming this proxy's identity) or to pass the connection through
 * (docs/design/inbound.md). Pure and defensive: any input gives an answer, never an exception. It
 * reassembles a ClientHello split over several records (post-quantum key shares make ClientHellos
 * large), up to {@link #CAP} bytes.
 */
public final class ClientHello {
  /** A ClientHello must be whole within this many bytes of the stream (as detection's cap). */
  public static final int CAP = 16 * 1024;

  private static final int RECORD_HANDSHAKE = 22;
  private static final int HANDSHAKE_CLIENT_HELLO = 1;
  private static final int EXT_SERVER_NAME = 0;
  private static final int EXT_ALPN = 16;
  private static final int MAX_RECORD = 1 << 14;

  private ClientHello() {}

  /** What the bytes so far say. */
  public sealed interface Result {}

  /** A valid prefix of a ClientHello: read more. */
  public record NeedMore() implements Result {}

  /** Not a TLS ClientHello, or a malformed one. */
  public record NotClientHello(String why) implements Result {}

  /**
   * A whole ClientHello.
   *
   * @param serverName the host_name of the SNI extension, null when absent
   * @param alpn the offered protocols in the client's order, empty when none
   */
  public record Hello(@Nullable String serverName, List<String> alpn) implements Result {
    public Hello {
      alpn = List.copyOf(alpn);
    }
  }

  private static final NeedMore NEED_MORE = new NeedMore();

  /** Parses {@code len} bytes of {@code b} from {@code off}; they are left alone. */
  public static Result parse(byte[] b, int off, int len) {
    // Records first: concatenate handshake fragments until the ClientHello is whole.
    byte[] hs = new byte[Math.max(0, Math.min(len, CAP))];
    int hsLen = 0;
    int pos = off;
    int end = off + len;
    while (true) {
      if (hsLen >= 4) {
        if ((hs[0] & 0xff) != HANDSHAKE_CLIENT_HELLO) {
          return new NotClientHello("handshake message type " + (hs[0] & 0xff) + ", not 1");
        }
        int bodyLen = ((hs[1] & 0xff) << 16) | ((hs[2] & 0xff) << 8) | (hs[3] & 0xff);
        if (bodyLen > CAP - 9) { // one record header and the handshake header come first
          return new NotClientHello("ClientHello of " + bodyLen + " bytes, over the cap");
        }
        if (hsLen >= 4 + bodyLen) {
          return parseHello(hs, 4, bodyLen);
        }
      }
      if (end - pos < 5) {
        return prefixOk(b, pos, end - pos);
      }
      Result header = recordHeader(b, pos);
      if (header != null) {
        return header;
      }
      int recordLen = ((b[pos + 3] & 0xff) << 8) | (b[pos + 4] & 0xff);
      if (end - pos - 5 < recordLen) {
        return pos - off + 5 + recordLen > CAP
            ? new NotClientHello("no whole ClientHello within " + CAP + " bytes")
            : NEED_MORE;
      }
      int take = Math.min(recordLen, hs.length - hsLen);
      System.arraycopy(b, pos + 5, hs, hsLen, take);
      hsLen += take;
      pos += 5 + recordLen;
      if (take < recordLen) {
        return new NotClientHello("no whole ClientHello within " + CAP + " bytes");
      }
    }
  }

  /** Null when the 5 bytes at {@code p} are a plausible handshake record header. */
  private static @Nullable Result recordHeader(byte[] b, int p) {
    if ((b[p] & 0xff) != RECORD_HANDSHAKE) {
      return new NotClientHello("record type " + (b[p] & 0xff) + ", not handshake (22)");
    }
    if (b[p + 1] != 3 || (b[p + 2] & 0xff) > 4) {
      return new NotClientHello("record version " + (b[p + 1] & 0xff) + "." + (b[p + 2] & 0xff));
    }
    int recordLen = ((b[p + 3] & 0xff) << 8) | (b[p + 4] & 0xff);
    if (recordLen == 0 || recordLen > MAX_RECORD) {
      return new NotClientHello("record length " + recordLen);
    }
    return null;
  }

  /** Fewer than 5 bytes of a record header: still a possible start? */
  private static Result prefixOk(byte[] b, int p, int n) {
    if (n >= 1 && (b[p] & 0xff) != RECORD_HANDSHAKE) {
      return new NotClientHello("record type " + (b[p] & 0xff) + ", not handshake (22)");
    }
    if (n >= 2 && b[p + 1] != 3) {
      return new NotClientHello("record version " + (b[p + 1] & 0xff));
    }
    if (n >= 3 && (b[p + 2] & 0xff) > 4) {
      return new NotClientHello("record version 3." + (b[p + 2] & 0xff));
    }
    return NEED_MORE;
  }

  private static Result parseHello(byte[] b, int off, int len) {
    Reader r = new Reader(b, off, off + len);
    try {
      r.skip(2); // legacy_version
      r.skip(32); // random
      r.skip(r.u8()); // legacy_session_id
      r.skip(r.u16()); // cipher_suites
      r.skip(r.u8()); // legacy_compression_methods
      String serverName = null;
      List<String> alpn = new ArrayList<>(2);
      if (r.remaining() == 0) {
        return new Hello(null, alpn); // no extensions at all (old clients)
      }
      Reader exts = r.sub(r.u16());
      boolean sawSni = false;
      boolean sawAlpn = false;
      while (exts.remaining() > 0) {
        int type = exts.u16();
        Reader ext = exts.sub(exts.u16());
        if (type == EXT_SERVER_NAME && !sawSni) {
          sawSni = true;
          serverName = hostName(ext.sub(ext.u16()));
        } else if (type == EXT_ALPN && !sawAlpn) {
          sawAlpn = true;
          Reader list = ext.sub(ext.u16());
          while (list.remaining() > 0) {
            int n = list.u8();
            if (n == 0) {
              return new NotClientHello("empty ALPN protocol name");
            }
            alpn.add(list.ascii(n));
          }
        }
      }
      return new Hello(serverName, alpn);
    } catch (IndexOutOfBoundsException e) {
      return new NotClientHello("malformed ClientHello");
    }
  }

  private static @Nullable String hostName(Reader list) {
    while (list.remaining() > 0) {
      int nameType = list.u8();
      int n = list.u16();
      if (nameType == 0) {
        String name = list.ascii(n);
        for (int i = 0; i < name.length(); i++) {
          char c = name.charAt(i);
          if (c <= 0x20 || c >= 0x7f) {
            return null; // not a DNS name: nothing to match against an identity
          }
        }
        return name;
      }
      list.skip(n);
    }
    return null;
  }

  private static final class Reader {
    private final byte[] b;
    private final int end;
    private int pos;

    Reader(byte[] b, int pos, int end) {
      this.b = b;
      this.pos = pos;
      this.end = end;
    }

    int remaining() {
      return end - pos;
    }

    private void need(int n) {
      if (n < 0 || n > end - pos) {
        throw new IndexOutOfBoundsException();
      }
    }

    int u8() {
      need(1);
      return b[pos++] & 0xff;
    }

    int u16() {
      need(2);
      int v = ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff);
      pos += 2;
      return v;
    }

    void skip(int n) {
      need(n);
      pos += n;
    }

    /** The next {@code n} bytes as a reader of their own (and skips them here). */
    Reader sub(int n) {
      need(n);
      Reader s = new Reader(b, pos, pos + n);
      pos += n;
      return s;
    }

    String ascii(int n) {
      need(n);
      String s = new String(b, pos, n, StandardCharsets.ISO_8859_1);
      pos += n;
      return s;
    }
  }
}
