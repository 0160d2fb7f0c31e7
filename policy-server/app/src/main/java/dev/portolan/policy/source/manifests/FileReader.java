package dev.portolan.policy.source.manifests;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.jspecify.annotations.Nullable;

/**
 * Reads one file within the size limit: the size from the stat is checked before the first byte is
 * read, and the read itself stops one byte past the limit (the file may grow in between, or be
 * something whose stat size means nothing). The text must be UTF-8.
 */
final class FileReader {
  /** The text and its SHA-256, or why the file was not read. */
  record Read(String text, byte @Nullable [] hash, @Nullable ManifestError error) {}

  private FileReader() {}

  static Read read(Path path, long statSize, ManifestsLimits limits) {
    int max = limits.maxFileBytes();
    if (statSize > max) {
      return failed(
          path,
          "%,d bytes, more than the limit of %,d (portolan.manifests.limits.max-file-size); not read"
              .formatted(statSize, max));
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(max + 1);
    } catch (IOException e) {
      String why =
          e instanceof FileSystemException f && f.getReason() != null
              ? f.getReason()
              : e.toString();
      return failed(path, "cannot read: " + why);
    }
    if (bytes.length > max) {
      return failed(
          path,
          "grew past the limit of %,d bytes (portolan.manifests.limits.max-file-size) while being read"
              .formatted(max));
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      return failed(path, "not UTF-8 text");
    }
    return new Read(text, sha256(bytes), null);
  }

  private static Read failed(Path path, String reason) {
    return new Read("", null, new ManifestError(path, 0, reason));
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
