package dev.portolan.proxy.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * The proxy's one key and certificate chain, handed to the TLS provider as they are. Netty's {@code
 * SslContextBuilder.keyManager(key, chain)} would put them into a password-protected PKCS#12 key
 * store and read them back through the JDK's SunX509 key manager: PBKDF2, HMAC and AES for a key
 * that never leaves memory, and ~40 classes of metaspace in every proxy (docs/benchmarks.md, issue
 * 26). The chain is offered for every request whose key type names this key's algorithm, as the
 * JDK's own manager does; a request for another algorithm gets nothing.
 */
final class MeshKeyManager extends X509ExtendedKeyManager {
  private static final String ALIAS = "mesh";

  private final PrivateKey key;
  private final X509Certificate[] chain;
  private final String algorithm;

  MeshKeyManager(PrivateKey key, List<X509Certificate> chain) {
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("a mesh key needs its certificate chain");
    }
    this.key = key;
    this.chain = chain.toArray(X509Certificate[]::new);
    this.algorithm = this.chain[0].getPublicKey().getAlgorithm();
  }

  /**
   * A key type is an algorithm ({@code EC}, {@code RSA}) or, from older protocol versions, an
   * algorithm and the issuer's signature algorithm ({@code EC_EC}, {@code EC_RSA}): only the first
   * part has to match, as with the JDK's SunX509 key manager.
   */
  private boolean fits(@Nullable String keyType) {
    if (keyType == null) {
      return false;
    }
    int sep = keyType.indexOf('_');
    return algorithm.equals(sep < 0 ? keyType : keyType.substring(0, sep));
  }

  private @Nullable String aliasFor(String @Nullable [] keyTypes) {
    if (keyTypes != null) {
      for (String t : keyTypes) {
        if (fits(t)) {
          return ALIAS;
        }
      }
    }
    return null;
  }

  @Override
  public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
    return fits(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public @Nullable String chooseClientAlias(
      String @Nullable [] keyTypes, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return aliasFor(keyTypes);
  }

  @Override
  public @Nullable String chooseEngineClientAlias(
      String @Nullable [] keyTypes, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return aliasFor(keyTypes);
  }

  @Override
  public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
    return fits(keyType) ? new String[] {ALIAS} : null;
  }

  @Override
  public @Nullable String chooseServerAlias(
      @Nullable String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
    return fits(keyType) ? ALIAS : null;
  }

  @Override
  public @Nullable String chooseEngineServerAlias(
      @Nullable String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
    return fits(keyType) ? ALIAS : null;
  }

  @Override
  public X509Certificate @Nullable [] getCertificateChain(@Nullable String alias) {
    return ALIAS.equals(alias) ? chain.clone() : null;
  }

  @Override
  public @Nullable PrivateKey getPrivateKey(@Nullable String alias) {
    return ALIAS.equals(alias) ? key : null;
  }
}
