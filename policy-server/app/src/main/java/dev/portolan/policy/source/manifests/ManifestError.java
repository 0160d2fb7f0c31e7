package dev.portolan.policy.source.manifests;

import java.nio.file.Path;

/**
 * Why a manifest file (or a link in the directory) could not be read. {@code line} is 1-based, 0
 * when unknown. The reason is made one bounded line here (see {@link LogText}), because parser
 * messages quote the file's content and the reason is shown in logs and on the actuator.
 */
public record ManifestError(Path file, int line, String reason) {
  public ManifestError {
    reason = LogText.of(reason, 200);
  }

  /** For log lines: the path is escaped too (a file name may hold a newline). */
  @Override
  public String toString() {
    return LogText.of(file, 1_000) + (line > 0 ? ":" + line : "") + ": " + reason;
  }
}
