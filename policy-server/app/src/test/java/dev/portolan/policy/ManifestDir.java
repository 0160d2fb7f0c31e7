package dev.portolan.policy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** A manifests directory a test owns: files are replaced atomically, as an editor would. */
public final class ManifestDir implements ClusterDriver {
  private final Path dir;

  public ManifestDir(String prefix) {
    try {
      dir = Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path path() {
    return dir;
  }

  @Override
  public ManifestDir write(String name, String yaml) {
    try {
      Path tmp = Files.createTempFile(dir.getParent(), name, ".tmp");
      Files.writeString(tmp, yaml);
      Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  @Override
  public ManifestDir delete(String name) {
    try {
      Files.deleteIfExists(dir.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }
}
