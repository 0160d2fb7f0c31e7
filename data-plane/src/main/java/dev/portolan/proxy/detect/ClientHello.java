package dev.portolan.proxy.detect;

import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** Reads the server_name extension out of a TLS ClientHello handshake message, defensively. */
final class ClientHello {
  private static final int EXT_SERVER_NAME = 0;

  private ClientHello() {}

  /**
   * @param off start of the handshake message (type byte) inside the first record
   * @param len bytes of the record available from {@code off}
   * @return the host name, or null when absent or malformed
   */
  static @Nullable String serverName(byte[] b, int off, int len) {
    try {
      Reader r = new Reader(b, off, len);
      if (r.u8() != 1) {
        return null;
      }
      r.skip(3); // handshake length
      r.skip(2); // legacy_version
      r.skip(32); // random
      r.skip(r.u8()); // session id
      r.skip(r.u16()); // cipher suites
      r.skip(r.u8()); // compression methods
      if (r.remaining() < 2) {
        return null;
      }
      int extEnd = r.pos + r.u16();
      while (r.pos + 4 <= extEnd) {
        int type = r.u16();
        int extLen = r.u16();
        if (type != EXT_SERVER_NAME) {
          r.skip(extLen);
          continue;
        }
        int listEnd = r.pos + r.u16();
        while (r.pos + 3 <= listEnd) {
          int nameType = r.u8();
          int nameLen = r.u16();
          if (nameType == 0) {
            r.need(nameLen);
            return new String(b, r.pos, nameLen, StandardCharsets.US_ASCII);
          }
          r.skip(nameLen);
        }
        return null;
      }
      return null;
    } catch (IndexOutOfBoundsException e) {
      return null;
    }
  }

  private static final class Reader {
    final byte[] b;
    final int end;
    int pos;

    Reader(byte[] b, int off, int len) {
      this.b = b;
      this.pos = off;
      this.end = off + len;
    }

    int remaining() {
      return end - pos;
    }

    void need(int n) {
      if (n < 0 || pos + n > end) {
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
  }
}
