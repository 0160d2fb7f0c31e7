package dev.portolan.proxy.tls;

/**
 * Fired down the pipeline by {@link MeshTlsVerifier} once per connection, in place of Netty's
 * {@code SslHandshakeCompletionEvent}: write nothing before {@link Established} (on a client, the
 * transport header goes after it), and count {@link Refused} by its reason.
 */
public sealed interface MeshTlsEvent {
  /** Handshake done and checked; the same session is on the channel ({@link MeshTlsSession#of}). */
  record Established(MeshTlsSession session) implements MeshTlsEvent {}

  /** Refused: the channel is being closed and no application byte passed. */
  record Refused(TlsRefusal refusal, String detail) implements MeshTlsEvent {}
}
