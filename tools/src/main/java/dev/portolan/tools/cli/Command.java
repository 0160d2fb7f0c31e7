package dev.portolan.tools.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * One sub-command of {@code portolan}. Adding a command is one class implementing this and one
 * entry in {@link Portolan#COMMANDS}: parsing, help and exit status are shared.
 */
public interface Command {
  /** The word after {@code portolan}: {@code check}, {@code explain}. */
  String name();

  /** One line for {@code portolan help}. */
  String summary();

  /** The options and arguments this command accepts. */
  List<Args.Option> options();

  /** How the positional arguments read in the usage line, e.g. {@code NAMESPACE KIND NAME}. */
  default String positionals() {
    return "";
  }

  /**
   * Runs the command.
   *
   * @param args the parsed arguments (options are those of {@link #options()})
   * @return the process exit status: 0 success, 1 a failed check or call
   * @throws UsageException for arguments the command cannot use (exit status 2)
   */
  int run(Args args, PrintStream out, PrintStream err) throws UsageException;
}
