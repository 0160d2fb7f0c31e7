package dev.portolan.proxy.identity;

import java.util.function.Consumer;

/** Where mesh TLS gets the proxy's certificate: {@link ProxyIdentity}, or a fixed one in tests. */
public interface IdentitySource {
  /** The mesh identity this proxy has (or will have once certified). */
  String identity();

  /** Whether there is a usable certificate now, read at the moment of the call. */
  IdentityState current();

  /**
   * Calls {@code listener} with every new certificate: at once with the current one if there is
   * one, then after each renewal (on the renewing thread, one call at a time).
   */
  void onCertificate(Consumer<IdentityCertificate> listener);

  /** What peer certificates must chain to. */
  TrustAnchors trustAnchors();
}
