package dev.portolan.proxy.tls;

import dev.portolan.proxy.identity.IdentityCertificate;
import dev.portolan.proxy.identity.IdentitySource;
import dev.portolan.proxy.identity.IdentityState;
import dev.portolan.proxy.identity.IdentityUnavailableException;
import dev.portolan.proxy.identity.TrustAnchors;
import io.netty.channel.Channel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslCachingX509KeyManagerFactory;
import io.netty.handler.ssl.ReferenceCountedOpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.KeyManagerFactoryWrapper;
import io.netty.internal.tcnative.SSLContext;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mesh TLS between proxies (docs/design/identity.md): TLS 1.3 only, BoringSSL through
 * netty-tcnative when it loads ({@link SslProvider#OPENSSL_REFCNT}), the JDK's provider otherwise.
 * The contexts are built from the proxy's current certificate and built again on each renewal: a
 * new connection uses the newest certificate, an open one keeps the one it shook hands with.
 *
 * <p>Use: {@code mesh.server(ch, ServerMode.TRANSPORT).addFirst(ch.pipeline())} on an accepted
 * connection; {@code mesh.client(ch, endpointIdentity, port, true).addFirst(ch.pipeline())} on a
 * connection to a peer proxy; then wait for {@link MeshTlsEvent} before writing or reading. Both
 * throw {@link IdentityUnavailableException} while this proxy has no valid certificate: there is no
 * plaintext fallback.
 */
public final class MeshTls implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MeshTls.class);

  /** The ALPN protocol of the opaque transport to the inbound port (docs/design/wire.md). */
  public static final String TRANSPORT_ALPN = "transport.l5d.io/v1";

  private static final String TLS13 = "TLSv1.3";
  private static final ApplicationProtocolConfig TRANSPORT =
      new ApplicationProtocolConfig(
          Protocol.ALPN,
          // The only combination both providers implement: a peer without our protocol gets no
          // ALPN at all, and the verifier refuses it with a reason instead of an opaque alert.
          SelectorFailureBehavior.NO_ADVERTISE,
          SelectedListenerFailureBehavior.ACCEPT,
          TRANSPORT_ALPN);

  private final IdentitySource identity;
  private final SslProvider provider;
  private final MeshTrustManager trust;
  private volatile @Nullable Contexts contexts;
  private volatile boolean closed;

  /** The four contexts of one certificate. */
  private record Contexts(
      IdentityCertificate certificate,
      SslContext serverTransport,
      SslContext serverApplication,
      SslContext clientTransport,
      SslContext clientPlain) {
    void release() {
      ReferenceCountUtil.release(serverTransport);
      ReferenceCountUtil.release(serverApplication);
      ReferenceCountUtil.release(clientTransport);
      ReferenceCountUtil.release(clientPlain);
    }
  }

  private MeshTls(IdentitySource identity, SslProvider provider) {
    this.identity = identity;
    this.provider = provider;
    this.trust = new MeshTrustManager(identity.trustAnchors());
    identity.onCertificate(this::rebuild);
  }

  /** Mesh TLS on the best provider this process has ({@link #defaultProvider()}). */
  public static MeshTls create(IdentitySource identity) {
    return new MeshTls(identity, defaultProvider());
  }

  /** Mesh TLS on a given provider ({@code OPENSSL_REFCNT} or {@code JDK}; tests run both). */
  public static MeshTls create(IdentitySource identity, SslProvider provider) {
    if (provider != SslProvider.JDK && provider != SslProvider.OPENSSL_REFCNT) {
      throw new IllegalArgumentException("mesh TLS runs on OPENSSL_REFCNT or JDK, not " + provider);
    }
    return new MeshTls(identity, provider);
  }

  /**
   * The mesh's verification of a server (chain to the anchors, validity, key usage, and the leaf
   * naming exactly the engine's peer host), for the proxy's TLS to the policy-server too.
   */
  public static X509ExtendedTrustManager serverVerifier(TrustAnchors anchors) {
    return new MeshTrustManager(anchors);
  }

  /** BoringSSL when netty-tcnative loaded and has TLS 1.3, else the JDK. */
  public static SslProvider defaultProvider() {
    if (OpenSsl.isAvailable() && SslProvider.isTlsv13Supported(SslProvider.OPENSSL_REFCNT)) {
      return SslProvider.OPENSSL_REFCNT;
    }
    Throwable why = OpenSsl.unavailabilityCause();
    log.info(
        "mesh TLS: netty-tcnative unavailable ({}), using the JDK's TLS",
        why == null ? "no TLS 1.3" : why.toString());
    return SslProvider.JDK;
  }

  /**
   * For the ready line and {@code proxy_info}: {@code boringssl}, {@code openssl} or {@code jdk}.
   */
  public String providerName() {
    if (provider == SslProvider.JDK) {
      return "jdk";
    }
    String v = String.valueOf(OpenSsl.versionString()).toLowerCase(Locale.ROOT);
    return v.contains("boringssl") ? "boringssl" : "openssl";
  }

  /** This proxy's identity: the SNI a peer proxy sends when it wants our mesh TLS. */
  public String identity() {
    return identity.identity();
  }

  public SslProvider provider() {
    return provider;
  }

  /**
   * The TLS handlers of an accepted connection.
   *
   * @throws IdentityUnavailableException while this proxy has no valid certificate
   */
  public MeshTlsHandlers server(Channel ch, ServerMode mode) {
    SslHandler ssl =
        newHandler(
            ch,
            mode.requireTransportAlpn() ? Contexts::serverTransport : Contexts::serverApplication,
            null,
            -1);
    return new MeshTlsHandlers(
        ssl,
        new MeshTlsVerifier(
            ssl, true, null, mode.requireClientCertificate(), mode.requireTransportAlpn()));
  }

  /**
   * The TLS handlers of a connection to a peer proxy.
   *
   * @param serverIdentity the endpoint's {@code tls_identity}: sent as SNI, and the name the
   *     server's certificate must carry
   * @param peerPort the port dialled (with the identity, the key of the TLS session cache)
   * @param opaqueTransport offer and require ALPN {@code transport.l5d.io/v1} (the tunnel to the
   *     inbound port); false: no ALPN (mesh TLS on the application port)
   * @throws IdentityUnavailableException while this proxy has no valid certificate
   */
  public MeshTlsHandlers client(
      Channel ch, String serverIdentity, int peerPort, boolean opaqueTransport) {
    SslHandler ssl =
        newHandler(
            ch,
            opaqueTransport ? Contexts::clientTransport : Contexts::clientPlain,
            serverIdentity,
            peerPort);
    return new MeshTlsHandlers(
        ssl, new MeshTlsVerifier(ssl, false, serverIdentity, false, opaqueTransport));
  }

  /** The generation of the certificate new connections use; 0 before the first. */
  public long certificateGeneration() {
    Contexts c = contexts;
    return c == null ? 0 : c.certificate().generation();
  }

  @Override
  public void close() {
    Contexts c;
    synchronized (this) {
      closed = true;
      c = contexts;
      contexts = null;
    }
    if (c != null) {
      c.release();
    }
  }

  private SslHandler newHandler(
      Channel ch, Function<Contexts, SslContext> pick, @Nullable String peerHost, int peerPort) {
    IdentityState state = identity.current();
    if (!(state instanceof IdentityState.Valid)) {
      throw new IdentityUnavailableException(state);
    }
    for (; ; ) {
      Contexts c = contexts;
      if (c == null) {
        throw new IdentityUnavailableException(
            closed ? new IdentityState.Pending(identity.identity(), "mesh TLS is closed") : state);
      }
      SslContext ctx = pick.apply(c);
      // A renewal may release this context between the read above and its use: hold it while
      // the engine is made (the engine then holds it for the connection's life). A release that
      // won means a newer context was published first: read again.
      try {
        ReferenceCountUtil.retain(ctx);
      } catch (IllegalReferenceCountException released) {
        continue;
      }
      try {
        return peerHost == null
            ? ctx.newHandler(ch.alloc())
            : ctx.newHandler(ch.alloc(), peerHost, peerPort);
      } finally {
        ReferenceCountUtil.release(ctx);
      }
    }
  }

  private void rebuild(IdentityCertificate cert) {
    Contexts next;
    try {
      next = build(cert);
    } catch (SSLException | RuntimeException e) {
      log.error(
          "mesh TLS: cannot build TLS contexts for certificate {}; keeping the previous one",
          cert,
          e);
      return;
    }
    Contexts old;
    synchronized (this) {
      old = contexts;
      if (closed || (old != null && old.certificate().generation() >= cert.generation())) {
        old = next; // closed, or an older certificate arriving late: drop what was just built
      } else {
        contexts = next;
      }
    }
    if (old != null) {
      old.release();
    }
  }

  private Contexts build(IdentityCertificate cert) throws SSLException {
    List<SslContext> made = new java.util.ArrayList<>(4);
    try {
      made.add(server(cert, true));
      made.add(server(cert, false));
      made.add(client(cert, true));
      made.add(client(cert, false));
    } catch (SSLException | RuntimeException e) {
      made.forEach(ReferenceCountUtil::release);
      throw e;
    }
    return new Contexts(cert, made.get(0), made.get(1), made.get(2), made.get(3));
  }

  private SslContext server(IdentityCertificate cert, boolean transport) throws SSLException {
    SslContextBuilder b =
        SslContextBuilder.forServer(keyManager(cert))
            .sslProvider(provider)
            .protocols(TLS13)
            // OPTIONAL, not REQUIRE: a client without a certificate then completes the handshake
            // and the verifier refuses it with a reason (no_client_cert) rather than a TLS alert
            // that would read like any other handshake failure. A certificate that is presented
            // is verified either way.
            .clientAuth(ClientAuth.OPTIONAL)
            .trustManager(trust);
    if (transport) {
      b.applicationProtocolConfig(TRANSPORT);
    }
    return noResumption(b.build());
  }

  private SslContext client(IdentityCertificate cert, boolean transport) throws SSLException {
    SslContextBuilder b =
        SslContextBuilder.forClient()
            .sslProvider(provider)
            .protocols(TLS13)
            .keyManager(keyManager(cert))
            .trustManager(trust)
            // The trust manager compares the server's SAN with the expected identity exactly;
            // HTTPS hostname rules (wildcards, IP addresses) have no place in mesh identities.
            .endpointIdentificationAlgorithm(null);
    if (transport) {
      b.applicationProtocolConfig(TRANSPORT);
    }
    return noResumption(b.build());
  }

  /**
   * The certificate's key and chain as they are ({@link MeshKeyManager}), behind Netty's caching
   * factory: BoringSSL then parses them once per context, not once per handshake.
   */
  private static KeyManagerFactory keyManager(IdentityCertificate cert) {
    return new OpenSslCachingX509KeyManagerFactory(
        new KeyManagerFactoryWrapper(new MeshKeyManager(cert.key(), cert.chain())));
  }

  /**
   * Every mesh connection is a full handshake whose peer is verified against the trust anchors of
   * the moment (docs/design/identity.md): no session is kept for a later connection to resume.
   * Netty's OpenSSL contexts otherwise cache up to 20,480 sessions each (the server as TLS 1.3
   * tickets it sends, two per handshake, the client per identity and port) and resume them, which
   * skips the verification of the peer's certificate, and holds native memory for every session.
   * With BoringSSL the server now sends no tickets and neither side keeps a session (MeshTlsTest
   * checks it). The JDK's provider, the fallback when netty-tcnative does not load, still resumes
   * through its own caches, which have no such switch.
   */
  @SuppressWarnings("deprecation") // the pointer is used at once, while this code holds the context
  private static SslContext noResumption(SslContext ctx) {
    if (ctx instanceof ReferenceCountedOpenSslContext openssl) {
      openssl.sessionContext().setSessionCacheEnabled(false);
      if (!openssl.isClient()) {
        SSLContext.setNumTickets(openssl.sslCtxPointer(), 0);
      }
    }
    return ctx;
  }
}
