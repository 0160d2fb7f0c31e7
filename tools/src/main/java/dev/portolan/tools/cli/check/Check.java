package dev.portolan.tools.cli.check;

/**
 * One line of {@code portolan check}. A check reads the cluster through {@link CheckContext} and
 * returns its result; an API error it does not handle itself is turned into a failure by {@link
 * CheckCommand}.
 */
public interface Check {
  /** What the check asserts, phrased so that a ✔ in front of it reads true. */
  String name();

  CheckResult run(CheckContext ctx);
}
