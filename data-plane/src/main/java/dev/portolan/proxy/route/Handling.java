package dev.portolan.proxy.route;

import java.time.Duration;

/**
 * What the proxy does with a connection's bytes: the one vocabulary for a protocol, whether it
 * comes from an inbound policy, a profile or an endpoint hint (docs/design/detection.md). Discovery
 * answers map into it once, where they are read; the data path only switches on it.
 */
public sealed interface Handling {
  /** Relayed as bytes at once, no detection. */
  Handling OPAQUE = new Opaque();

  /** Relay bytes as they come: opaque by policy, profile or hint (or TLS the app does itself). */
  record Opaque() implements Handling {}

  /**
   * Read the first bytes and classify them (HTTP/1, HTTP/2, or bytes to relay).
   *
   * @param timeout how long detection may wait for the client's bytes before relaying them as TCP
   */
  record Detect(Duration timeout) implements Handling {}

  /** The protocol is declared: served by that HTTP codec at once, without detection. */
  record Codec(HttpVersion version) implements Handling {}
}
