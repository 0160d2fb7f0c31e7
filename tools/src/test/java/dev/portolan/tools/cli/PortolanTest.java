package dev.portolan.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Dispatch, help and exit status, with a command made up here (as {@code inject} is one). */
class PortolanTest {
  /** A whole command: one class, options declared, arguments parsed by the shared parser. */
  static final class Echo implements Command {
    @Override
    public String name() {
      return "echo";
    }

    @Override
    public String summary() {
      return "print the arguments";
    }

    @Override
    public String positionals() {
      return "WORD...";
    }

    @Override
    public List<Args.Option> options() {
      return List.of(
          Args.Option.valued("--times", "-t", "N", "how often"),
          Args.Option.flag("--loud", "shout"));
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws UsageException {
      if (args.positionals().isEmpty()) {
        throw new UsageException("nothing to echo");
      }
      String line = String.join(" ", args.positionals());
      for (int i = 0; i < args.intValue("--times", 1, 1, 3); i++) {
        out.println(args.has("--loud") ? line.toUpperCase(java.util.Locale.ROOT) : line);
      }
      return Portolan.OK;
    }
  }

  final Portolan cli = new Portolan(List.of(new Echo()));

  @Test
  void runs_the_named_command_with_its_options_in_any_order() {
    assertThat(run("echo", "-t", "2", "hello", "--loud", "--", "--not-an-option"))
        .isEqualTo(new Run(0, "HELLO --NOT-AN-OPTION\nHELLO --NOT-AN-OPTION\n", ""));
    assertThat(run("echo", "--times=1", "hi")).isEqualTo(new Run(0, "hi\n", ""));
  }

  @Test
  void usage_errors_exit_2_with_the_commands_usage() {
    Run unknownOption = run("echo", "--tims", "2", "x");
    assertThat(unknownOption.status).isEqualTo(Portolan.USAGE);
    assertThat(unknownOption.err)
        .startsWith(
            "portolan echo: unknown option --tims\nusage: portolan echo [OPTIONS] WORD...\n")
        .contains("  -t, --times N  how often\n");

    assertThat(run("echo", "--times", "9", "x").err)
        .startsWith("portolan echo: --times must be a number from 1 to 3, got 9\n");
    assertThat(run("echo", "x", "--times").err)
        .startsWith("portolan echo: --times needs a value (N)\n");
    assertThat(run("echo").err).startsWith("portolan echo: nothing to echo\n");
  }

  @Test
  void an_unknown_command_exits_2_listing_the_commands() {
    Run r = run("inejct");

    assertThat(r.status).isEqualTo(Portolan.USAGE);
    assertThat(r.err)
        .startsWith("portolan: unknown command inejct\nusage: portolan COMMAND [OPTIONS]\n")
        .contains("  echo  print the arguments\n");
  }

  @Test
  void help_lists_commands_and_describes_one() {
    assertThat(run("help").out).contains("commands:\n  echo  print the arguments\n");
    assertThat(run("help", "echo").out).startsWith("usage: portolan echo [OPTIONS] WORD...\n");
    assertThat(run("echo", "--help")).isEqualTo(new Run(0, run("help", "echo").out, ""));
    assertThat(run().status).isEqualTo(Portolan.USAGE);
  }

  @Test
  void the_real_command_line_has_check_explain_and_inject() {
    List<String> names = Portolan.COMMANDS.stream().map(s -> s.get().name()).toList();
    assertThat(names).containsExactly("check", "explain", "inject");
  }

  private Run run(String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        cli.run(
            List.of(argv),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  record Run(int status, String out, String err) {}
}
