package dev.portolan.proxy.testbed;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The proxy runs as UID 2102, which cannot read jars under a private home directory: link (or copy)
 * them into a world-readable temporary directory once per JVM.
 */
final class ReadableClasspath {
  private static final Map<String, String> CACHE = new HashMap<>();

  private ReadableClasspath() {}

  static synchronized String of(String classpath) {
    String cached = CACHE.get(classpath);
    if (cached != null) {
      return cached;
    }
    try {
      Path dir = Files.createTempDirectory("portolan-cp");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      List<String> out = new ArrayList<>();
      int n = 0;
      for (String entry : classpath.split(File.pathSeparator)) {
        Path p = Path.of(entry);
        if (Files.isRegularFile(p)) {
          Path link = dir.resolve((n++) + "-" + p.getFileName());
          try {
            Files.createLink(link, p);
          } catch (IOException | UnsupportedOperationException e) {
            Files.copy(p, link);
          }
          Files.setPosixFilePermissions(link, PosixFilePermissions.fromString("rw-r--r--"));
          out.add(link.toString());
        } else {
          out.add(entry); // build output directories are under the (readable) work tree
        }
      }
      dir.toFile().deleteOnExit();
      cached = String.join(File.pathSeparator, out);
      CACHE.put(classpath, cached);
      return cached;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
