package dev.portolan.proxy.detect;

import org.jspecify.annotations.Nullable;

/** What the first bytes of a connection say about its protocol. */
public sealed interface Detection {
  Detection HTTP1 = new Http1();
  Detection HTTP2 = new Http2();
  Detection TCP = new Tcp();
  Detection NEED_MORE = new NeedMore();

  /** Result label for metrics: http/1, http/2, tls, tcp. */
  String label();

  /** An HTTP/1.x request line. */
  record Http1() implements Detection {
    @Override
    public String label() {
      return "http/1";
    }
  }

  /** The HTTP/2 prior-knowledge preface. */
  record Http2() implements Detection {
    @Override
    public String label() {
      return "http/2";
    }
  }

  /**
   * A TLS ClientHello: the client does its own TLS, so the bytes are relayed as TCP.
   *
   * @param sni the server_name from the ClientHello, or null when absent or unreadable
   */
  record Tls(@Nullable String sni) implements Detection {
    @Override
    public String label() {
      return "tls";
    }
  }

  /** Anything else: an opaque byte stream. */
  record Tcp() implements Detection {
    @Override
    public String label() {
      return "tcp";
    }
  }

  /** The bytes so far are a valid start of something: read more (within the deadline). */
  record NeedMore() implements Detection {
    @Override
    public String label() {
      return "need_more";
    }
  }
}
