package dev.portolan.proxy.tls;

import dev.portolan.proxy.identity.IdentityCertificate;
import dev.portolan.proxy.identity.IdentitySource;
import dev.portolan.proxy.identity.IdentityState;
import dev.portolan.proxy.identity.TrustAnchors;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An identity whose certificate the test sets. Its state is whatever the test says, so a test can
 * make a proxy present an expired certificate and see the peer refuse it.
 */
public final class FakeIdentity implements IdentitySource {
  private final String identity;
  private final TrustAnchors anchors;
  private final List<Consumer<IdentityCertificate>> listeners = new CopyOnWriteArrayList<>();
  private volatile IdentityState state;

  public FakeIdentity(String identity, TrustAnchors anchors) {
    this.identity = identity;
    this.anchors = anchors;
    this.state = new IdentityState.Pending(identity, "not certified in this test");
  }

  /** A new certificate, announced to the listeners, and the state Valid. */
  public synchronized FakeIdentity certify(IdentityCertificate cert) {
    state = new IdentityState.Valid(cert);
    listeners.forEach(l -> l.accept(cert));
    return this;
  }

  void state(IdentityState s) {
    state = s;
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public IdentityState current() {
    return state;
  }

  @Override
  public synchronized void onCertificate(Consumer<IdentityCertificate> listener) {
    listeners.add(listener);
    if (state instanceof IdentityState.Valid v) {
      listener.accept(v.certificate());
    }
  }

  @Override
  public TrustAnchors trustAnchors() {
    return anchors;
  }
}
