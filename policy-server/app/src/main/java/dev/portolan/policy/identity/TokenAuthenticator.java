package dev.portolan.policy.identity;

import dev.portolan.policy.identity.CertifyRefused.Reason;

/**
 * Decides which ServiceAccount a Certify token belongs to. Cluster mode asks the API server
 * (TokenReview); manifests mode reads a token file, or — only when explicitly switched on for
 * development — believes whatever identity the caller asks for.
 */
public sealed interface TokenAuthenticator
    permits TokenReviewAuthenticator,
        TokenFileAuthenticator,
        TokenAuthenticator.AcceptAnyToken,
        TokenAuthenticator.NotConfigured {

  /**
   * The ServiceAccount the token authenticates, which the caller compares with {@code requested};
   * or a refusal when the token authenticates no ServiceAccount.
   */
  ServiceAccount authenticate(byte[] token, ServiceAccount requested) throws CertifyRefused;

  /** One line for the start-up log: how tokens are checked. */
  String describe();

  /**
   * {@code portolan.identity.insecure-accept-any-token=true}: a development switch, never a
   * default.
   */
  record AcceptAnyToken() implements TokenAuthenticator {
    @Override
    public ServiceAccount authenticate(byte[] token, ServiceAccount requested) {
      return requested;
    }

    @Override
    public String describe() {
      return "NONE: any token gets any identity (portolan.identity.insecure-accept-any-token=true)";
    }
  }

  /** Manifests mode with neither a token file nor the development switch: refuse, and say why. */
  record NotConfigured() implements TokenAuthenticator {
    static final String HOW =
        "no token check is configured in manifests mode: set portolan.identity.token-file"
            + " (lines '<namespace>/<serviceaccount> <token>') or, for development only,"
            + " portolan.identity.insecure-accept-any-token=true (see docs/identity.md)";

    @Override
    public ServiceAccount authenticate(byte[] token, ServiceAccount requested)
        throws CertifyRefused {
      throw new CertifyRefused(Reason.NOT_CONFIGURED, HOW);
    }

    @Override
    public String describe() {
      return "not configured: every Certify is refused (FAILED_PRECONDITION)";
    }
  }
}
