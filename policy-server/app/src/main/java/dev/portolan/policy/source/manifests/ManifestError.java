package dev.portolan.policy.source.manifests;

import java.nio.file.Path;

/** Why a manifest file could not be read. {@code line} is 1-based, 0 when unknown. */
public record ManifestError(Path file, int line, String reason) {
  @Override
  public String toString() {
    return file + (line > 0 ? ":" + line : "") + ": " + reason;
  }
}
