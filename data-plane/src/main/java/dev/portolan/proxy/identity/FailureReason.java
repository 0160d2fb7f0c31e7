package dev.portolan.proxy.identity;

/** Why a Certify attempt failed; {@link #label()} is the metric label value. */
public enum FailureReason {
  /** The ServiceAccount token file is missing, unreadable or empty. */
  TOKEN("token"),
  /** The policy-server did not answer (connect failure, unavailable, deadline). */
  UNREACHABLE("unreachable"),
  /** TLS to the policy-server failed: its certificate is untrusted or names another server. */
  TLS("tls"),
  /** The policy-server answered with an error (refused token, refused request, internal). */
  REFUSED("refused"),
  /** The certificate in the answer is unusable: unparsable, another key or name, or untrusted. */
  BAD_RESPONSE("bad_response");

  private final String label;

  FailureReason(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
