package dev.portolan.proxy.discovery;

import dev.portolan.proxy.grpc.GrpcChannel;
import dev.portolan.proxy.identity.IdentityCertificate;
import dev.portolan.proxy.identity.IdentitySource;
import dev.portolan.proxy.tls.MeshTls;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;
import org.jspecify.annotations.Nullable;

/**
 * The proxy's connection to the policy-server with TLS (docs/identity.md, "The proxy's connection
 * to the policy-server"): the server's chain verified against the mesh trust anchors and its name
 * against the expected policy-server identity ({@code PORTOLAN_POLICY_SERVER_IDENTITY}, the
 * channel's authority), both by the mesh's own verifier ({@link MeshTls#serverVerifier}); the
 * proxy's own certificate presented once it has one. The key manager reads the newest certificate
 * at each handshake, so a new connection after a renewal presents the renewed one. BoringSSL
 * carries the handshake, as on the mesh's connections and Certify's ({@link GrpcChannel#tlsClient}:
 * the JDK's where netty-tcnative does not load); the JDK's TLS engine here cost a proxy several MiB
 * (docs/benchmarks.md, "mTLS pair: the control plane over TLS").
 */
public final class ControlPlaneTls {
  private final SslContext context;
  private final String serverIdentity;
  private final KeyMaterial keys;

  private ControlPlaneTls(SslContext context, String serverIdentity, KeyMaterial keys) {
    this.context = context;
    this.serverIdentity = serverIdentity;
    this.keys = keys;
  }

  /**
   * @param identity the proxy's identity: trust anchors and, once certified, its certificate
   * @param serverIdentity the name the policy-server's certificate must carry
   */
  public static ControlPlaneTls create(IdentitySource identity, String serverIdentity) {
    KeyMaterial keys = new KeyMaterial(Clock.systemUTC());
    identity.onCertificate(keys::update);
    try {
      SslContext ctx =
          GrpcChannel.tlsClient(MeshTls.serverVerifier(identity.trustAnchors()))
              .protocols("TLSv1.3")
              .keyManager(keys)
              .build();
      // No resumption: a session made before the first certificate would be resumed by every
      // later connection, and the policy-server would never see the proxy's certificate.
      if (ctx.sessionContext() instanceof OpenSslSessionContext sessions) {
        sessions.setSessionCacheEnabled(false);
      }
      return new ControlPlaneTls(ctx, serverIdentity, keys);
    } catch (SSLException e) {
      throw new IllegalStateException("cannot build the TLS context for the policy-server", e);
    }
  }

  SslContext context() {
    return context;
  }

  String serverIdentity() {
    return serverIdentity;
  }

  /** Runs {@code action} once, when the first certificate arrives (at once if there is one). */
  void onFirstCertificate(Runnable action) {
    keys.onFirst(action);
  }

  /** The proxy's certificate as a client key manager: none until the first Certify. */
  private static final class KeyMaterial extends X509ExtendedKeyManager {
    private final Clock clock;
    private final CopyOnWriteArrayList<Runnable> firsts = new CopyOnWriteArrayList<>();
    private volatile @Nullable IdentityCertificate latest;
    // The one before the latest: a handshake that chose its alias just before a renewal still
    // finds its chain.
    private volatile @Nullable IdentityCertificate previous;

    KeyMaterial(Clock clock) {
      this.clock = clock;
    }

    void update(IdentityCertificate c) {
      boolean first;
      synchronized (this) {
        first = latest == null;
        previous = latest;
        latest = c;
      }
      if (first) {
        firsts.forEach(Runnable::run);
        firsts.clear();
      }
    }

    void onFirst(Runnable action) {
      synchronized (this) {
        if (latest == null) {
          firsts.add(action);
          return;
        }
      }
      action.run();
    }

    private @Nullable String alias() {
      IdentityCertificate c = latest;
      // An expired certificate would only be refused by the server: present none instead.
      return c == null || c.isExpiredAt(clock.instant()) ? null : Long.toString(c.generation());
    }

    private @Nullable IdentityCertificate byAlias(String alias) {
      IdentityCertificate c = latest;
      if (c != null && Long.toString(c.generation()).equals(alias)) {
        return c;
      }
      IdentityCertificate p = previous;
      return p != null && Long.toString(p.generation()).equals(alias) ? p : null;
    }

    @Override
    public @Nullable String chooseEngineClientAlias(
        String[] keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
      return alias();
    }

    @Override
    public @Nullable String chooseClientAlias(
        String[] keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
      return alias();
    }

    @Override
    public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
      String a = alias();
      return a == null ? null : new String[] {a};
    }

    @Override
    public X509Certificate @Nullable [] getCertificateChain(String alias) {
      IdentityCertificate c = byAlias(alias);
      return c == null ? null : c.chain().toArray(X509Certificate[]::new);
    }

    @Override
    public @Nullable PrivateKey getPrivateKey(String alias) {
      IdentityCertificate c = byAlias(alias);
      return c == null ? null : c.key();
    }

    @Override
    public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
      return null;
    }

    @Override
    public @Nullable String chooseServerAlias(
        String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
      return null;
    }
  }
}
