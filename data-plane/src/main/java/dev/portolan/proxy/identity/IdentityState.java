package dev.portolan.proxy.identity;

import java.time.Instant;

/**
 * Whether the proxy has a mesh identity right now. There is no fallback: while it is {@link
 * Pending} or {@link Expired}, connections that require identity fail with {@link #reason()}.
 */
public sealed interface IdentityState {
  /** Why there is no usable certificate, or {@code "valid until …"}. */
  String reason();

  /** No certificate yet (the first Certify has not succeeded). */
  record Pending(String identity, String lastFailure) implements IdentityState {
    @Override
    public String reason() {
      return "no certificate for " + identity + " yet (" + lastFailure + ")";
    }
  }

  record Valid(IdentityCertificate certificate) implements IdentityState {
    @Override
    public String reason() {
      return "certificate for " + certificate.identity() + " valid until " + certificate.expiry();
    }
  }

  /** The last certificate expired and no renewal succeeded since. */
  record Expired(IdentityCertificate certificate, String lastFailure) implements IdentityState {
    public Instant expiredAt() {
      return certificate.expiry();
    }

    @Override
    public String reason() {
      return "the certificate for "
          + certificate.identity()
          + " expired at "
          + certificate.expiry()
          + " and could not be renewed ("
          + lastFailure
          + ")";
    }
  }
}
