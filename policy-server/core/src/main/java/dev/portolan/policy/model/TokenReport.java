package dev.portolan.policy.model;

/** An invalid token found in a field of an object: what a user must fix, and where. */
public record TokenReport(ObjectRef object, String field, InvalidToken token) {
  @Override
  public String toString() {
    return object + " " + field + ": " + token;
  }
}
