package dev.portolan.proxy.identity;

/**
 * Thrown where a connection needs the proxy's own identity and it has none: not yet certified, or
 * expired. The message is the state's reason, fit for a log line or {@code l5d-proxy-error}.
 */
public final class IdentityUnavailableException extends RuntimeException {
  private final transient IdentityState state;

  public IdentityUnavailableException(IdentityState state) {
    super(state.reason(), null, false, false); // an expected refusal: no stack trace to fill
    this.state = state;
  }

  public IdentityState state() {
    return state;
  }
}
