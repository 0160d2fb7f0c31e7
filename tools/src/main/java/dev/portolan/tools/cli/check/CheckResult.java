package dev.portolan.tools.cli.check;

/** What one check found. */
public sealed interface CheckResult {

  /** Passed; {@code detail} says what was seen (a version, a date, a count). */
  record Ok(String detail) implements CheckResult {}

  /** Failed: {@code reason} says what is wrong and {@code hint} what to do about it. */
  record Fail(String reason, String hint) implements CheckResult {}

  /** Not applicable to this install (a part that is off), or not checkable from here. */
  record Skipped(String reason) implements CheckResult {}

  static CheckResult ok(String detail) {
    return new Ok(detail);
  }

  static CheckResult fail(String reason, String hint) {
    return new Fail(reason, hint);
  }

  static CheckResult skipped(String reason) {
    return new Skipped(reason);
  }
}
