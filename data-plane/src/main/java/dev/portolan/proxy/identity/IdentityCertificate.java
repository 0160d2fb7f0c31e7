package dev.portolan.proxy.identity;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One issued certificate with its key: immutable, replaced as a whole on renewal.
 *
 * @param identity the mesh identity the leaf names (its SAN DNS)
 * @param key the proxy's private key (the same for every renewal of one process)
 * @param leaf the certificate the policy-server issued
 * @param intermediates the issuer chain up to (not necessarily including) a trust anchor
 * @param expiry when it stops being valid: the leaf's notAfter, or the response's {@code
 *     valid_until} when that is earlier
 * @param generation 1 for the first certificate of the process, then one more per renewal
 */
public record IdentityCertificate(
    String identity,
    PrivateKey key,
    X509Certificate leaf,
    List<X509Certificate> intermediates,
    Instant expiry,
    long generation) {
  public IdentityCertificate {
    intermediates = List.copyOf(intermediates);
  }

  /** The leaf, then the intermediates: what a TLS endpoint presents. */
  public List<X509Certificate> chain() {
    List<X509Certificate> chain = new ArrayList<>(1 + intermediates.size());
    chain.add(leaf);
    chain.addAll(intermediates);
    return chain;
  }

  public boolean isExpiredAt(Instant now) {
    return !now.isBefore(expiry);
  }

  /** Never prints the key. */
  @Override
  public String toString() {
    return "IdentityCertificate[identity="
        + identity
        + ", serial="
        + leaf.getSerialNumber().toString(16)
        + ", expiry="
        + expiry
        + ", generation="
        + generation
        + "]";
  }
}
