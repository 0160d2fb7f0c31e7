package dev.portolan.proxy.testbed;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The proxy as the image launches it, for tests whose figures stand for a deployed proxy (memory
 * above all): the JVM options of the image's launcher script, read from data-plane/Dockerfile so
 * that the two cannot drift apart, and the proxy's own runtime classpath instead of the tests'
 * (Spring, fabric8 and JUnit on a proxy's classpath cost it heap and metaspace a pod never pays).
 */
public final class DeployedProxy {
  /** The launcher's {@code BASE="…"} assignment, over continued lines. */
  private static final Pattern BASE = Pattern.compile("(?s)\nBASE=\"(.*?)\"\n");

  /** What the launcher's {@code exec java} line puts before {@code $OPTS}. */
  private static final Pattern EXEC = Pattern.compile("(?s)\nexec java (.*?) \\$OPTS");

  private DeployedProxy() {}

  /**
   * The options of the launcher without an AOT cache (the bed records none): its fixed ones, its
   * {@code BASE} and {@code -Xshare:off}. {@code --enable-native-access} is {@link JavaProcess}'s
   * own, and {@code -Djava.library.path} points into the image only, so both are left out.
   */
  public static List<String> jvmOptions() {
    String launcher = launcher();
    Matcher exec = EXEC.matcher(launcher);
    Matcher base = BASE.matcher(launcher);
    if (!exec.find() || !base.find()) {
      throw new IllegalStateException(
          "data-plane/Dockerfile: no 'BASE=\"…\"' or 'exec java … $OPTS' in the proxy's launcher");
    }
    List<String> options = new ArrayList<>();
    for (String o : words(exec.group(1))) {
      if (!o.startsWith("--enable-native-access") && !o.startsWith("-Djava.library.path")) {
        options.add(o);
      }
    }
    options.addAll(words(base.group(1)));
    options.add("-Xshare:off");
    return List.copyOf(options);
  }

  /**
   * The proxy's runtime classpath: its classes and the runtime dependencies Maven listed in
   * target/proxy-runtime.classpath (data-plane/pom.xml, generate-test-resources).
   */
  public static String classpath() {
    Path listed = Path.of("target", "proxy-runtime.classpath");
    try {
      String deps = Files.readString(listed).strip();
      return Path.of("target", "classes").toAbsolutePath() + File.pathSeparator + deps;
    } catch (IOException e) {
      throw new UncheckedIOException(
          listed.toAbsolutePath() + ": missing; run the tests through Maven (it writes it)", e);
    }
  }

  /** The text of the image's proxy launcher, from the Dockerfile's here-document. */
  private static String launcher() {
    Path dockerfile = Path.of("Dockerfile");
    try {
      String text = Files.readString(dockerfile);
      int start = text.indexOf("/opt/portolan/bin/portolan-proxy\n");
      int end = start < 0 ? -1 : text.indexOf("\nEOF\n", start);
      if (end < 0) {
        throw new IllegalStateException(
            dockerfile.toAbsolutePath()
                + ": no here-document for /opt/portolan/bin/portolan-proxy");
      }
      return text.substring(start, end + 1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> words(String shell) {
    return List.of(shell.replace("\\\n", " ").trim().split("\\s+"));
  }
}
