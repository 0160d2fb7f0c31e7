package dev.portolan.tools.cli.check;

import dev.portolan.tools.cli.Args;
import dev.portolan.tools.cli.Command;
import dev.portolan.tools.cli.Portolan;
import dev.portolan.tools.cli.UsageException;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code portolan check}: runs every {@link Check} against the cluster of the kubeconfig's current
 * (or given) context and prints one line each. Exit status 1 if any failed. If the API server does
 * not answer, the checks after it are skipped rather than failed one by one.
 */
public final class CheckCommand implements Command {
  /** Makes the client for a context (null: the kubeconfig's current one). */
  public interface Clients {
    KubernetesClient connect(@Nullable String context);
  }

  static final List<Check> CHECKS =
      List.of(
          new ApiServerCheck(),
          new ServerCrdCheck(),
          new RbacCheck(),
          new WebhookConfigurationCheck(),
          new WebhookCertificateCheck(),
          new TrustAnchorCheck(),
          new IssuerCheck(),
          new PolicyServerReadyCheck());

  private final Clients clients;
  private final Clock clock;

  public CheckCommand() {
    this(
        context -> new KubernetesClientBuilder().withConfig(Config.autoConfigure(context)).build(),
        Clock.systemUTC());
  }

  public CheckCommand(Clients clients, Clock clock) {
    this.clients = clients;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "check";
  }

  @Override
  public String summary() {
    return "verify an install of helm/portolan: API server, Server CRD, RBAC, webhook and its"
        + " certificate, trust anchor, policy-server readiness";
  }

  @Override
  public List<Args.Option> options() {
    return List.of(
        Args.Option.valued("--namespace", "-n", "NS", "the release's namespace (default portolan)"),
        Args.Option.valued("--release", null, "NAME", "the Helm release name (default portolan)"),
        Args.Option.valued(
            "--context", null, "CONTEXT", "the kubeconfig context (default: the current one)"));
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws UsageException {
    if (!args.positionals().isEmpty()) {
      throw new UsageException("unexpected argument " + args.positionals().getFirst());
    }
    Install install =
        new Install(args.value("--namespace", "portolan"), args.value("--release", "portolan"));
    Marks marks = Marks.forCharset(out.charset());
    try (KubernetesClient client = clients.connect(args.value("--context"))) {
      CheckContext ctx = new CheckContext(client, install, clock);
      out.println(
          "Checking Portolan release "
              + install.release()
              + " in namespace "
              + install.namespace()
              + "\n");
      int failed = 0;
      int skipped = 0;
      boolean apiDown = false;
      for (Check check : CHECKS) {
        CheckResult r =
            apiDown ? CheckResult.skipped("the API server did not answer") : runOne(check, ctx);
        if (check instanceof ApiServerCheck && r instanceof CheckResult.Fail) {
          apiDown = true;
        }
        failed += r instanceof CheckResult.Fail ? 1 : 0;
        skipped += r instanceof CheckResult.Skipped ? 1 : 0;
        print(out, marks, check, r);
      }
      int passed = CHECKS.size() - failed - skipped;
      out.println();
      out.println(
          (failed == 0
                  ? "all checks passed"
                  : failed + (failed == 1 ? " check" : " checks") + " failed")
              + " ("
              + passed
              + " passed, "
              + failed
              + " failed, "
              + skipped
              + " skipped)");
      return failed == 0 ? Portolan.OK : Portolan.FAILED;
    }
  }

  /**
   * A check that throws is a failed check, with the API server's own words; anything else it throws
   * (an object the model cannot read, say) fails that check only, naming the exception.
   */
  private static CheckResult runOne(Check check, CheckContext ctx) {
    try {
      return check.run(ctx);
    } catch (KubernetesClientException e) {
      String status = e.getCode() > 0 ? "HTTP " + e.getCode() + ": " : "";
      return CheckResult.fail(
          "the API server answered " + status + e.getMessage(),
          e.getCode() == 403
              ? "run portolan check as a user who may read the release's objects (cluster admin)"
              : "retry; if it persists, kubectl get the object named above");
    } catch (RuntimeException e) {
      return CheckResult.fail(
          "could not complete the check: " + e,
          "report it with the objects this check reads (docs/cli.md, The checks)");
    }
  }

  private static void print(PrintStream out, Marks marks, Check check, CheckResult r) {
    switch (r) {
      case CheckResult.Ok ok -> out.println(marks.ok() + " " + check.name() + ": " + ok.detail());
      case CheckResult.Fail f -> {
        out.println(marks.fail() + " " + check.name() + ": " + f.reason());
        out.println("    fix: " + f.hint());
      }
      case CheckResult.Skipped s ->
          out.println(marks.skip() + " " + check.name() + " (skipped: " + s.reason() + ")");
    }
  }

  /** ✔ ✘ where the terminal can show them, [ok] [FAIL] where it cannot. */
  record Marks(String ok, String fail, String skip) {
    static Marks forCharset(java.nio.charset.Charset cs) {
      return cs.newEncoder().canEncode("✔✘–")
          ? new Marks("✔", "✘", "–")
          : new Marks("[ok]", "[FAIL]", "[skip]");
    }
  }
}
