package dev.portolan.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository stands alone: every document a comment or a page cites is a file under {@code
 * docs/} that exists, and nothing cites the team's specification folder, which is not part of the
 * repository. Runs in {@code verify} with the core's tests, over every source and documentation
 * file of the checkout (build output and VCS metadata skipped).
 *
 * <p>The patterns are assembled so that this file does not match them itself: it is scanned too.
 */
class DocsCitationsTest {

  /** The file kinds that carry comments or prose. */
  private static final Set<String> EXTENSIONS =
      Set.of(".java", ".md", ".sh", ".yaml", ".yml", ".proto", ".xml");

  /** Directories that hold generated, fetched or VCS files, never citations of ours. */
  private static final Set<String> SKIPPED_DIRS =
      Set.of("target", ".git", "node_modules", ".idea", ".vscode");

  /**
   * A repository-relative {@code docs/….md} path (optionally reached through {@code ../}), not a
   * segment of a longer path or URL.
   */
  private static final Pattern DOCS_PATH =
      Pattern.compile("(?<![\\w./-])(?:\\.\\./)*(docs/[\\w./-]*?\\.md)(?![\\w.-])");

  /** An inline markdown link: {@code [text](target)} or {@code [text](target#anchor)}. */
  private static final Pattern MD_LINK = Pattern.compile("\\]\\(([^)\\s#]*)(?:#[^)\\s]*)?\\)");

  private static final String SECTION = "\u00a7";

  /** Citations of documents that live outside the repository, with the reason each is named. */
  private static final List<Outside> OUTSIDE =
      List.of(
          new Outside(Pattern.compile("\\.\\./" + "shared\\b"), "a path into the shared folder"),
          new Outside(
              Pattern.compile("(?<![\\w-])" + "shared/(?:spec/|DESIGN\\.md|STYLE\\.md|TOOLCHAIN)"),
              "the shared specification folder"),
          new Outside(
              Pattern.compile("spec/(?:control-plane|data-plane|api-wire|scenarios)" + "\\.md"),
              "a specification file outside the repository"),
          new Outside(
              Pattern.compile("\\bspec\\s*" + SECTION), "a section of the external specification"),
          new Outside(
              Pattern.compile(SECTION + "\\s*\\d"),
              "a numbered section of the external specification (pages under docs have none)"));

  private record Outside(Pattern pattern, String why) {}

  @Test
  void every_cited_docs_page_exists() {
    List<String> problems = Scanner.deadDocsReferences(repositoryRoot());
    assertThat(problems)
        .withFailMessage(() ->
            "references to pages that do not exist ("
                + problems.size()
                + "):\n"
                + String.join("\n", problems))
        .isEmpty();
  }

  @Test
  void nothing_cites_a_document_outside_the_repository() {
    List<String> problems = Scanner.outsideReferences(repositoryRoot());
    assertThat(problems)
        .withFailMessage(() ->
            "citations of documents outside the repository ("
                + problems.size()
                + "); cite the docs/ page instead (docs/design/README.md maps them):\n"
                + String.join("\n", problems))
        .isEmpty();
  }

  // The scanner itself, on a small tree of its own: each rule must be able to fail. Paths and
  // citations are assembled from pieces, as this file is scanned with the rest of the checkout.

  private static final String DOCS = "docs" + "/";

  @Test
  void a_dead_docs_reference_is_reported_with_file_and_line(@TempDir Path root) throws IOException {
    write(root, DOCS + "real.md", "# Real\n");
    write(root, "Foo.java", "// one\n// see " + DOCS + "real.md and " + DOCS + "design/gone.md\n");
    write(root, "bench/README.md", "[ok](../" + DOCS + "real.md), [x](../" + DOCS + "no.md#a)\n");

    assertThat(Scanner.deadDocsReferences(root))
        .containsExactly(
            "Foo.java:2: " + DOCS + "design/gone.md does not exist",
            "bench/README.md:1: ../" + DOCS + "no.md does not exist",
            "bench/README.md:1: " + DOCS + "no.md does not exist");
  }

  @Test
  void relative_links_inside_docs_resolve_from_the_page(@TempDir Path root) throws IOException {
    write(root, DOCS + "proxy.md", "# Proxy\n");
    write(root, DOCS + "design/inbound.md", "# Inbound\n");
    write(
        root,
        DOCS + "design/outbound.md",
        "[a](inbound.md) [b](../proxy.md#the-proxy) [c](proxy.md) [d](https://example.org/x.md)"
            + " [e](#local)\n");

    assertThat(Scanner.deadDocsReferences(root))
        .containsExactly(DOCS + "design/outbound.md:1: proxy.md does not exist");
  }

  @Test
  void citations_outside_the_repository_are_reported(@TempDir Path root) throws IOException {
    write(
        root,
        "A.java",
        String.join(
            "\n",
            "/** Rules (spec " + SECTION + "3). */",
            "// see " + "spec/" + "data-plane.md",
            "// see ../" + "sha" + "red/DESIGN.md",
            "// rule 4 of " + SECTION + "4",
            "// " + DOCS + "design/streams.md is fine, so is a spec: section",
            ""));
    write(root, "target/Generated.java", "// spec " + SECTION + "9 in build output\n");

    assertThat(Scanner.outsideReferences(root))
        .extracting(s -> s.substring(0, s.indexOf(' ')))
        .containsExactly("A.java:1:", "A.java:2:", "A.java:3:", "A.java:4:");
  }

  private static void write(Path root, String rel, String text) throws IOException {
    Path p = root.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text, StandardCharsets.UTF_8);
  }

  /** The checkout: the first directory above the module that holds {@code .git} or {@code mvnw}. */
  private static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path d = dir; d != null; d = d.getParent()) {
      if (Files.exists(d.resolve(".git")) || Files.exists(d.resolve("mvnw"))) {
        return d;
      }
    }
    throw new IllegalStateException("no .git or mvnw above " + dir);
  }

  /** Walks a tree and reports, as {@code path:line: message}, sorted by path then line. */
  static final class Scanner {
    private Scanner() {}

    static List<String> deadDocsReferences(Path root) {
      List<String> out = new ArrayList<>();
      for (Path file : files(root)) {
        String rel = relative(root, file);
        boolean markdown = rel.endsWith(".md");
        List<String> lines = read(file);
        for (int i = 0; i < lines.size(); i++) {
          String line = lines.get(i);
          Matcher m = DOCS_PATH.matcher(line);
          while (m.find()) {
            if (!Files.isRegularFile(root.resolve(m.group(1)))) {
              out.add(rel + ":" + (i + 1) + ": " + m.group(1) + " does not exist");
            }
          }
          if (markdown) {
            Matcher link = MD_LINK.matcher(line);
            while (link.find()) {
              String target = link.group(1);
              if (isLocal(target) && !Files.exists(file.getParent().resolve(target))) {
                out.add(rel + ":" + (i + 1) + ": " + target + " does not exist");
              }
            }
          }
        }
      }
      return sorted(out);
    }

    static List<String> outsideReferences(Path root) {
      List<String> out = new ArrayList<>();
      for (Path file : files(root)) {
        String rel = relative(root, file);
        List<String> lines = read(file);
        for (int i = 0; i < lines.size(); i++) {
          // One report per line: the first rule that matches names the problem.
          for (Outside o : OUTSIDE) {
            Matcher m = o.pattern().matcher(lines.get(i));
            if (m.find()) {
              out.add(rel + ":" + (i + 1) + ": '" + m.group() + "' (" + o.why() + ")");
              break;
            }
          }
        }
      }
      return sorted(out);
    }

    /** A link to a file of the checkout (not a URL, not an anchor on the same page). */
    private static boolean isLocal(String target) {
      return !target.isEmpty()
          && !target.startsWith("/")
          && !target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");
    }

    private static List<String> sorted(List<String> problems) {
      // Stable by file, then by line number (numerically), then by message.
      problems.sort((a, b) -> {
        String[] x = a.split(":", 3);
        String[] y = b.split(":", 3);
        int c = x[0].compareTo(y[0]);
        if (c == 0) {
          c = Integer.compare(Integer.parseInt(x[1]), Integer.parseInt(y[1]));
        }
        return c != 0 ? c : x[2].compareTo(y[2]);
      });
      return problems;
    }

    private static List<Path> files(Path root) {
      List<Path> out = new ArrayList<>();
      try {
        Files.walkFileTree(
            root,
            new SimpleFileVisitor<>() {
              @Override
              public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return !dir.equals(root) && SKIPPED_DIRS.contains(dir.getFileName().toString())
                    ? FileVisitResult.SKIP_SUBTREE
                    : FileVisitResult.CONTINUE;
              }

              @Override
              public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = file.getFileName().toString();
                if (attrs.isRegularFile() && EXTENSIONS.stream().anyMatch(name::endsWith)) {
                  out.add(file);
                }
                return FileVisitResult.CONTINUE;
              }
            });
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return out;
    }

    private static String relative(Path root, Path file) {
      return root.relativize(file).toString().replace('\\', '/');
    }

    private static List<String> read(Path file) {
      try {
        return Files.readAllLines(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
  }
}
