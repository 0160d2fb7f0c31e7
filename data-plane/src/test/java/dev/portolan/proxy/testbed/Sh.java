package dev.portolan.proxy.testbed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs test-bed commands; fails loudly with their output. */
public final class Sh {
  private Sh() {}

  public static String run(String... cmd) {
    return run(List.of(cmd));
  }

  public static String run(List<String> cmd) {
    Result r = tryRun(cmd);
    if (r.exit() != 0) {
      throw new IllegalStateException(
          String.join(" ", cmd) + " failed (" + r.exit() + "): " + r.output());
    }
    return r.output();
  }

  public record Result(int exit, String output) {}

  public static Result tryRun(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, out + " (timed out)");
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, e.toString());
    }
  }

  /** Skips the calling test, visibly, unless we are root and the programs exist. */
  public static void assumeRootWith(String... programs) {
    Assumptions.assumeTrue(
        "0".equals(tryRun(List.of("id", "-u")).output().strip()),
        "needs root (network namespaces, iptables): run as root or via .ci/run");
    List<String> missing = new ArrayList<>();
    for (String p : programs) {
      if (tryRun(List.of("sh", "-c", "command -v " + p)).exit() != 0) {
        missing.add(p);
      }
    }
    Assumptions.assumeTrue(
        missing.isEmpty(), "missing programs " + missing + " (.ci/run installs them)");
  }
}
