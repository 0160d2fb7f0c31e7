package dev.portolan.policy.identity;

/**
 * Where the issuer comes from: fixed for the life of the process (generated at start, or read from
 * PEM files) in manifests mode, or a Secret re-read as it rotates in cluster mode.
 */
public sealed interface IssuerSource permits IssuerSource.Fixed, SecretIssuer {

  /** The credentials to sign with now, or a refusal saying why there are none. */
  IssuerCredentials current() throws CertifyRefused;

  /** One line for the start-up log. */
  String describe();

  /** Credentials checked once at start. */
  record Fixed(IssuerCredentials credentials, String origin) implements IssuerSource {
    @Override
    public IssuerCredentials current() {
      return credentials;
    }

    @Override
    public String describe() {
      return origin;
    }
  }
}
