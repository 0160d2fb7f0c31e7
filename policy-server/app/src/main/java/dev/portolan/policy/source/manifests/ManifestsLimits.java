package dev.portolan.policy.source.manifests;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * What one manifest file may cost before it is refused (settings under {@code
 * portolan.manifests.limits}). A refused file fails alone, like a file with a syntax error: it is
 * reported and its last good content stays served. Every limit is per file and checked before or
 * while parsing, never after, so a hostile file costs at most about what a legitimate one of the
 * largest accepted size costs.
 *
 * @param maxFileSize checked on the file's size before it is read, and again while reading
 * @param maxDocuments YAML documents ({@code ---}) in one file
 * @param maxDepth nesting of mappings and sequences
 * @param maxAliases alias uses ({@code *name}) in one file
 * @param maxNodes scalars and collections in one file, counting each alias as the nodes it stands
 *     for: this is what refuses an alias bomb, whose few hundred bytes stand for billions of nodes
 */
@ConfigurationProperties("portolan.manifests.limits")
public record ManifestsLimits(
    @DefaultValue("8MB") DataSize maxFileSize,
    @DefaultValue("10000") int maxDocuments,
    @DefaultValue("100") int maxDepth,
    @DefaultValue("50") int maxAliases,
    @DefaultValue("1000000") int maxNodes) {

  public static final ManifestsLimits DEFAULTS =
      new ManifestsLimits(DataSize.ofMegabytes(8), 10_000, 100, 50, 1_000_000);

  /** Java arrays and YAML marks are int-indexed; leave headroom for the reader's buffers. */
  private static final long LARGEST_FILE = Integer.MAX_VALUE / 4;

  public ManifestsLimits {
    if (maxFileSize.toBytes() <= 0 || maxFileSize.toBytes() > LARGEST_FILE) {
      throw new IllegalArgumentException(
          "portolan.manifests.limits.max-file-size must be between 1B and "
              + (LARGEST_FILE >> 20)
              + "MB, was "
              + maxFileSize);
    }
    positive("max-documents", maxDocuments);
    positive("max-depth", maxDepth);
    positive("max-nodes", maxNodes);
    if (maxAliases < 0) {
      throw new IllegalArgumentException("portolan.manifests.limits.max-aliases must be >= 0");
    }
  }

  int maxFileBytes() {
    return (int) maxFileSize.toBytes();
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(
          "portolan.manifests.limits." + name + " must be > 0, was " + value);
    }
  }
}
