package dev.portolan.policy.identity;

/** {@link Csrs} for tests in other packages. */
public final class TestCsrs {
  private TestCsrs() {}

  /** A proxy's CSR: a P-256 key and the identity as its one SAN. */
  public static byte[] forIdentity(String identity) {
    return Csrs.forIdentity(identity);
  }
}
