package dev.portolan.policy.source.manifests;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One pass over the manifests directory, following links: the YAML files to read (with the
 * attributes of what each link leads to), the directories to watch, and the paths that cannot be
 * read as they stand (dangling links, link loops, special files), each with its reason.
 *
 * <p>Skipped without a report: names starting with {@code ..} (the kubelet's private directories in
 * a mounted ConfigMap or Secret, {@code ..data} and {@code ..2025_…}, which the visible links point
 * into; reading both would read every file twice) and {@code .#} (Emacs lock files, which are
 * dangling links while a file is being edited).
 */
record DirectoryListing(
    Map<Path, BasicFileAttributes> files, Map<Path, String> broken, List<Path> directories) {

  static boolean isYaml(Path p) {
    String name = p.getFileName().toString();
    return name.endsWith(".yaml") || name.endsWith(".yml");
  }

  /** Lists {@code root}; throws only if the root itself cannot be read. */
  static DirectoryListing of(Path root) throws IOException {
    Map<Path, BasicFileAttributes> files = new TreeMap<>();
    Map<Path, String> broken = new TreeMap<>();
    List<Path> directories = new ArrayList<>();
    Files.walkFileTree(
        root,
        EnumSet.of(FileVisitOption.FOLLOW_LINKS),
        Integer.MAX_VALUE,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
            if (!d.equals(root) && skipped(d)) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            directories.add(d);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
            if (skipped(f)) {
              return FileVisitResult.CONTINUE;
            }
            if (attrs.isSymbolicLink()) {
              // Only reached when following the link failed: the walk then reports the link itself.
              broken.put(f, whyUnfollowable(f));
            } else if (isYaml(f)) {
              if (attrs.isRegularFile()) {
                files.put(f, attrs);
              } else {
                // A FIFO or a device would block or never end a read.
                broken.put(f, "not a regular file; not read");
              }
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
            if (f.equals(root)) {
              throw e;
            }
            if (e instanceof FileSystemLoopException) {
              broken.put(f, "link loop: leads back to a directory that contains it; not followed");
            } else if (!(e instanceof NoSuchFileException)) {
              // NoSuchFile: deleted during the walk; the deletion's own event reloads again.
              broken.put(f, "cannot read: " + reason(e));
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              if (d.equals(root)) {
                throw e;
              }
              broken.put(d, "cannot list: " + reason(e));
            }
            return FileVisitResult.CONTINUE;
          }
        });
    return new DirectoryListing(files, broken, directories);
  }

  private static boolean skipped(Path p) {
    String name = p.getFileName().toString();
    return name.startsWith("..") || name.startsWith(".#");
  }

  private static String whyUnfollowable(Path link) {
    String target;
    try {
      target = Files.readSymbolicLink(link).toString();
    } catch (IOException e) {
      target = "?";
    }
    try {
      Files.readAttributes(link, BasicFileAttributes.class);
      return "link to " + target + " cannot be followed; not read";
    } catch (NoSuchFileException e) {
      return "dangling link to " + target + " (it does not exist); not read";
    } catch (FileSystemException e) {
      String why = reason(e);
      // ELOOP: the kernel's "Too many levels of symbolic links".
      return why.contains("symbolic links")
          ? "link loop: " + target + " leads back to this link; not read"
          : "link to " + target + " cannot be followed: " + why + "; not read";
    } catch (IOException e) {
      return "link to " + target + " cannot be followed: " + reason(e) + "; not read";
    }
  }

  private static String reason(IOException e) {
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }
}
