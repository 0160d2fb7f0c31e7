package dev.portolan.tools.cli;

import dev.portolan.tools.cli.check.CheckCommand;
import dev.portolan.tools.cli.explain.ExplainCommand;
import dev.portolan.tools.cli.inject.InjectCommand;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@code portolan COMMAND [OPTIONS] [ARGS]}: finds the command by name, parses its options and runs
 * it. Exit status: 0 success, 1 a command's own failure (a failed check, an error answer), 2 a
 * usage error.
 */
public final class Portolan {
  /**
   * Every command, in the order {@code help} lists them. Suppliers, so that only the command run is
   * constructed (and only it loads its libraries).
   */
  static final List<Supplier<Command>> COMMANDS =
      List.of(CheckCommand::new, ExplainCommand::new, InjectCommand::new);

  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  private final List<Command> commands;

  public Portolan(List<Command> commands) {
    this.commands = List.copyOf(commands);
  }

  public static void main(String[] argv) {
    Portolan cli = new Portolan(COMMANDS.stream().map(Supplier::get).toList());
    System.exit(cli.run(Arrays.asList(argv), System.out, System.err));
  }

  public int run(List<String> argv, PrintStream out, PrintStream err) {
    if (argv.isEmpty() || isHelp(argv.getFirst()) || argv.getFirst().equals("help")) {
      Command c = argv.size() > 1 ? find(argv.get(1)) : null;
      if (c != null) {
        out.print(usage(c));
      } else {
        out.print(overview());
      }
      return argv.isEmpty() ? USAGE : OK;
    }
    Command c = find(argv.getFirst());
    if (c == null) {
      err.println("portolan: unknown command " + argv.getFirst());
      err.print(overview());
      return USAGE;
    }
    List<String> rest = argv.subList(1, argv.size());
    if (rest.stream().anyMatch(Portolan::isHelp)) {
      out.print(usage(c));
      return OK;
    }
    try {
      return c.run(Args.parse(rest, c.options()), out, err);
    } catch (UsageException e) {
      err.println("portolan " + c.name() + ": " + e.getMessage());
      err.print(usage(c));
      return USAGE;
    }
  }

  private @Nullable Command find(String name) {
    return commands.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
  }

  private static boolean isHelp(String a) {
    return a.equals("-h") || a.equals("--help");
  }

  private String overview() {
    StringBuilder b = new StringBuilder("usage: portolan COMMAND [OPTIONS]\n\ncommands:\n");
    int width = commands.stream().mapToInt(c -> c.name().length()).max().orElse(0);
    for (Command c : commands) {
      b.append("  ").append(pad(c.name(), width)).append("  ").append(c.summary()).append('\n');
    }
    b.append("\nportolan help COMMAND (or portolan COMMAND --help) describes its options.\n");
    return b.toString();
  }

  static String usage(Command c) {
    StringBuilder b = new StringBuilder("usage: portolan ").append(c.name());
    if (!c.options().isEmpty()) {
      b.append(" [OPTIONS]");
    }
    if (!c.positionals().isEmpty()) {
      b.append(' ').append(c.positionals());
    }
    b.append("\n\n").append(c.summary()).append('\n');
    if (!c.options().isEmpty()) {
      b.append("\noptions:\n");
      int width = c.options().stream().mapToInt(o -> o.usage().length()).max().orElse(0);
      for (Args.Option o : c.options()) {
        b.append("  ").append(pad(o.usage(), width)).append("  ").append(o.help()).append('\n');
      }
    }
    return b.toString();
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(Math.max(0, width - s.length()));
  }
}
