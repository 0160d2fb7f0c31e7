package dev.portolan.tools.cli;

/** Arguments a command cannot use: printed with the command's usage, exit status 2. */
public final class UsageException extends Exception {
  public UsageException(String message) {
    super(message);
  }
}
