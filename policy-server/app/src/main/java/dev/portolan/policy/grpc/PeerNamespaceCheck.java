package dev.portolan.policy.grpc;

import dev.portolan.api.destination.GetDestination;
import dev.portolan.api.inbound.PortSpec;
import dev.portolan.policy.identity.CertifyRefused;
import dev.portolan.policy.identity.IdentityDomain;
import dev.portolan.policy.metrics.PortolanMetrics;
import dev.portolan.policy.resolve.ClientContext;
import dev.portolan.policy.resolve.ClientText;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * With TLS on the gRPC port, a client that presented a certificate asks only about its own
 * namespace: a Destination context token or an inbound workload naming another namespace than the
 * certificate's identity is refused with PERMISSION_DENIED and counted as {@code
 * portolan_grpc_refused_total{reason="identity-namespace"}} (docs/identity.md). Requests without a
 * client certificate (plaintext, or a proxy before its first Certify) pass unchanged, and a token
 * that cannot be read is left to the service, which reports it.
 */
final class PeerNamespaceCheck implements ServerInterceptor {
  static final String REASON = "identity-namespace";
  private static final Logger log = LoggerFactory.getLogger(PeerNamespaceCheck.class);
  private static final int SAN_DNS = 2;

  private final IdentityDomain domain;
  private final PortolanMetrics metrics;
  private final RepeatedWarning warning;

  PeerNamespaceCheck(IdentityDomain domain, PortolanMetrics metrics, LimitsProperties limits) {
    this.domain = domain;
    this.metrics = metrics;
    this.warning =
        new RepeatedWarning(
            log,
            "requests refused: namespace differs from the client certificate's",
            limits.warningInterval());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String peerNamespace = peerNamespace(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
    if (peerNamespace == null) {
      return next.startCall(call, headers);
    }
    return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        String asked = requestedNamespace(message);
        if (asked != null && !asked.equals(peerNamespace)) {
          refused = true;
          metrics.refused(REASON);
          warning.warn(() -> "namespace " + asked + " asked by a certificate of " + peerNamespace);
          call.close(
              Status.PERMISSION_DENIED.withDescription(
                  "the client certificate is for namespace "
                      + ClientText.clip(peerNamespace)
                      + "; requests for namespace "
                      + ClientText.clip(asked)
                      + " are refused"),
              new Metadata());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }

      @Override
      public void onReady() {
        if (!refused) {
          super.onReady();
        }
      }
    };
  }

  /** The namespace a request speaks for, or null when it names none this check can read. */
  private static @Nullable String requestedNamespace(Object message) {
    if (message instanceof GetDestination g) {
      ClientContext c = ContextToken.parse(g.getContextToken());
      return c == null || c.namespace().isEmpty() ? null : c.namespace();
    }
    if (message instanceof PortSpec p) {
      try {
        return Workload.parse(p.getWorkload()).namespace();
      } catch (RuntimeException e) {
        return null;
      }
    }
    return null;
  }

  /** The namespace of the client certificate's identity, or null without a usable certificate. */
  private @Nullable String peerNamespace(@Nullable SSLSession session) {
    if (session == null) {
      return null;
    }
    Certificate[] peer;
    try {
      peer = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
    if (peer.length == 0 || !(peer[0] instanceof X509Certificate leaf)) {
      return null;
    }
    try {
      Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
      if (sans == null) {
        return null;
      }
      for (List<?> san : sans) {
        if (san.size() >= 2
            && Integer.valueOf(SAN_DNS).equals(san.get(0))
            && san.get(1) instanceof String name) {
          try {
            return domain.parse(name).namespace();
          } catch (CertifyRefused e) {
            // Not a mesh identity of this domain: try the next name.
          }
        }
      }
    } catch (CertificateParsingException e) {
      return null;
    }
    return null;
  }
}
