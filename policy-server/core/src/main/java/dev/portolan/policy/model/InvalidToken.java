package dev.portolan.policy.model;

/**
 * A token of a port list that was dropped.
 *
 * @param position 1-based index of the token among the comma-separated tokens
 * @param token the token as written (trimmed)
 * @param reason why it was dropped, in words a user can act on
 */
public record InvalidToken(int position, String token, String reason) {
  @Override
  public String toString() {
    return "token " + position + " '" + token + "': " + reason;
  }
}
