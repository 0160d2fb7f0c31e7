package dev.portolan.policy.identity;

/** A Kubernetes ServiceAccount: the unit a mesh identity names. */
public record ServiceAccount(String namespace, String name) {

  /** The user name the API server gives this account's tokens (TokenReview status.user). */
  public String username() {
    return "system:serviceaccount:" + namespace + ":" + name;
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
