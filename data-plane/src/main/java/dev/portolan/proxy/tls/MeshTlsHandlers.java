package dev.portolan.proxy.tls;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;

/**
 * The two handlers of one mesh TLS connection, to be added together, the verifier right behind the
 * TLS handler. Nothing else may sit between them.
 */
public record MeshTlsHandlers(SslHandler ssl, MeshTlsVerifier verifier) {
  public static final String SSL_NAME = "mesh-tls";
  public static final String VERIFIER_NAME = "mesh-tls-verify";

  /** At the head of the pipeline (a connection that is TLS from its first byte). */
  public void addFirst(ChannelPipeline pipeline) {
    pipeline.addFirst(VERIFIER_NAME, verifier);
    pipeline.addFirst(SSL_NAME, ssl);
  }

  /** Right after {@code baseName} (e.g. once detection has seen a ClientHello for us). */
  public void addAfter(ChannelPipeline pipeline, String baseName) {
    pipeline.addAfter(baseName, SSL_NAME, ssl);
    pipeline.addAfter(SSL_NAME, VERIFIER_NAME, verifier);
  }
}
