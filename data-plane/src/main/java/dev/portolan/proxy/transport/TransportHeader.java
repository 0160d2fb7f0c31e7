package dev.portolan.proxy.transport;

import org.jspecify.annotations.Nullable;

/**
 * The header a proxy sends after the mTLS handshake on an opaque-transport connection
 * (docs/design/wire.md): which port of the peer's pod the bytes are for, and optionally the HTTP
 * version already negotiated.
 *
 * @param port the target port, 1..65535
 * @param name a gateway target name; non-empty means a gateway request (refused by Portolan)
 * @param sessionProtocol the session protocol, or null for opaque TCP
 */
public record TransportHeader(int port, String name, @Nullable SessionProtocol sessionProtocol) {
  public TransportHeader {
    name = name == null ? "" : name;
  }

  public static TransportHeader opaque(int port) {
    return new TransportHeader(port, "", null);
  }

  /** HTTP version of a proxied session. */
  public enum SessionProtocol {
    HTTP1,
    HTTP2
  }
}
