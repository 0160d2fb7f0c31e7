package dev.portolan.policy.resolve;

/**
 * A request the rules cannot answer as asked (bad path, IP where a name is needed, ExternalName).
 */
public final class BadRequestException extends RuntimeException {
  public BadRequestException(String message) {
    super(message);
  }
}
