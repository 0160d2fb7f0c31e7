package dev.portolan.policy.grpc;

import dev.portolan.policy.identity.CertificateAuthority;
import dev.portolan.policy.identity.CertificateAuthority.Leaf;
import dev.portolan.policy.identity.CertifyRefused;
import dev.portolan.policy.identity.IssuerCredentials;
import dev.portolan.policy.identity.IssuerSource;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC port's own certificate, issued by the policy-server to itself from its identity issuer,
 * and the trust in the same anchors the proxies trust. Both follow the issuer: a leaf is issued
 * again at 70 % of its lifetime or when the issuer changes (a rotated Secret), and each TLS
 * handshake reads the newest one, so new connections use the renewed certificate while open ones
 * keep theirs.
 */
final class SelfCertificate {
  private static final Logger log = LoggerFactory.getLogger(SelfCertificate.class);
  private static final double RENEW_AT = 0.7;

  private final IssuerSource issuer;
  private final CertificateAuthority ca;
  private final String identity;
  private final Clock clock;
  private volatile @Nullable Current current;
  // The one before the current: a handshake that chose its alias just before a renewal still
  // finds a key and a chain that belong together.
  private volatile @Nullable Current previous;

  /** One issued leaf with its key, and a trust manager on the anchors of the same issuer. */
  private record Current(
      IssuerCredentials credentials,
      String alias,
      PrivateKey key,
      X509Certificate[] chain,
      Instant renewAt,
      Instant notAfter,
      X509ExtendedTrustManager trust) {}

  SelfCertificate(IssuerSource issuer, Duration lifetime, String identity, Clock clock) {
    this.issuer = issuer;
    this.ca = new CertificateAuthority(lifetime, Duration.ofSeconds(20), clock);
    this.identity = identity;
    this.clock = clock;
  }

  String identity() {
    return identity;
  }

  /** Issues the first leaf now: a start with a broken issuer fails at once, with its reason. */
  void init() {
    try {
      current();
    } catch (CertifyRefused e) {
      throw new IllegalStateException(
          "portolan.grpc.tls: cannot issue the gRPC port's certificate for "
              + identity
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private Current current() throws CertifyRefused {
    Current c = current;
    Instant now = clock.instant();
    if (c != null && now.isBefore(c.renewAt()) && issuerUnchanged(c)) {
      return c;
    }
    synchronized (this) {
      c = current;
      if (c != null && now.isBefore(c.renewAt()) && issuerUnchanged(c)) {
        return c;
      }
      try {
        Current next = issue(c == null ? 0 : Integer.parseInt(c.alias()) + 1);
        previous = c;
        current = next;
        log.info("grpc TLS: certificate for {} valid until {}", identity, next.notAfter());
        return next;
      } catch (CertifyRefused e) {
        // A leaf still valid keeps serving while the issuer is away (a Secret read that failed).
        if (c != null && now.isBefore(c.notAfter())) {
          log.warn(
              "grpc TLS: cannot renew the certificate ({}); keeping the current one",
              e.getMessage());
          return c;
        }
        throw e;
      }
    }
  }

  private boolean issuerUnchanged(Current c) {
    try {
      return issuer.current() == c.credentials();
    } catch (CertifyRefused e) {
      return true; // renewal decides once the leaf is due; until then the current one serves
    }
  }

  private Current issue(int generation) throws CertifyRefused {
    IssuerCredentials creds = issuer.current();
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair keys = g.generateKeyPair();
      Leaf leaf =
          ca.issue(
              creds, SubjectPublicKeyInfo.getInstance(keys.getPublic().getEncoded()), identity);
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(leaf.certificate());
      chain.addAll(leaf.intermediates());
      Instant from = leaf.certificate().getNotBefore().toInstant();
      Instant to = leaf.notAfter();
      Instant renewAt =
          from.plusMillis((long) ((to.toEpochMilli() - from.toEpochMilli()) * RENEW_AT));
      return new Current(
          creds,
          Integer.toString(generation),
          keys.getPrivate(),
          chain.toArray(X509Certificate[]::new),
          renewAt,
          to,
          pkix(creds.trustAnchors()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot generate the gRPC port's key", e);
    }
  }

  private static X509ExtendedTrustManager pkix(List<X509Certificate> anchors)
      throws GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    try {
      ks.load(null, null);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    for (int i = 0; i < anchors.size(); i++) {
      ks.setCertificateEntry("anchor-" + i, anchors.get(i));
    }
    TrustManagerFactory f = TrustManagerFactory.getInstance("PKIX");
    f.init(ks);
    for (TrustManager t : f.getTrustManagers()) {
      if (t instanceof X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new IllegalStateException("no X509ExtendedTrustManager for PKIX");
  }

  private Current currentOrFail() {
    try {
      return current();
    } catch (CertifyRefused e) {
      throw new IllegalStateException("grpc TLS: no certificate: " + e.getMessage(), e);
    }
  }

  /** Presents the newest leaf at each handshake. */
  X509ExtendedKeyManager keyManager() {
    return new X509ExtendedKeyManager() {
      @Override
      public @Nullable String chooseEngineServerAlias(
          String keyType, Principal @Nullable [] issuers, @Nullable SSLEngine engine) {
        return alias(keyType);
      }

      @Override
      public @Nullable String chooseServerAlias(
          String keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
        return alias(keyType);
      }

      private @Nullable String alias(String keyType) {
        if (!"EC".equals(keyType)) {
          return null;
        }
        return currentOrFail().alias();
      }

      private @Nullable Current byAlias(String alias) {
        Current c = current;
        if (c != null && c.alias().equals(alias)) {
          return c;
        }
        Current p = previous;
        return p != null && p.alias().equals(alias) ? p : null;
      }

      @Override
      public X509Certificate @Nullable [] getCertificateChain(String alias) {
        Current c = byAlias(alias);
        return c == null ? null : c.chain().clone();
      }

      @Override
      public @Nullable PrivateKey getPrivateKey(String alias) {
        Current c = byAlias(alias);
        return c == null ? null : c.key();
      }

      @Override
      public String @Nullable [] getServerAliases(String keyType, Principal @Nullable [] issuers) {
        String a = alias(keyType);
        return a == null ? null : new String[] {a};
      }

      @Override
      public String @Nullable [] getClientAliases(String keyType, Principal @Nullable [] issuers) {
        return null;
      }

      @Override
      public @Nullable String chooseClientAlias(
          String[] keyType, Principal @Nullable [] issuers, @Nullable Socket socket) {
        return null;
      }
    };
  }

  /** Verifies client certificates against the issuer's current trust anchors. */
  X509ExtendedTrustManager trustManager() {
    return new X509ExtendedTrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        currentOrFail().trust().checkClientTrusted(chain, authType, engine);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
          throws CertificateException {
        currentOrFail().trust().checkClientTrusted(chain, authType, socket);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType)
          throws CertificateException {
        currentOrFail().trust().checkClientTrusted(chain, authType);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
          throws CertificateException {
        throw new CertificateException("the gRPC port verifies clients only");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
          throws CertificateException {
        throw new CertificateException("the gRPC port verifies clients only");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType)
          throws CertificateException {
        throw new CertificateException("the gRPC port verifies clients only");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return currentOrFail().trust().getAcceptedIssuers();
      }
    };
  }
}
