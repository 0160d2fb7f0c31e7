package dev.portolan.tools.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A command's arguments: {@code --name value}, {@code --name=value} or {@code -x value} options
 * (each declared by the command) and positional arguments, in order. An option a command did not
 * declare is a usage error rather than a positional, so a misspelt flag is never taken for a name.
 */
public final class Args {
  /**
   * One option.
   *
   * @param name the long form, with its dashes ({@code --namespace})
   * @param alias a short form ({@code -n}) or null
   * @param value how the value reads in help ({@code NS}); null for a switch that takes none
   * @param help one line
   */
  public record Option(String name, @Nullable String alias, @Nullable String value, String help) {
    public static Option valued(String name, @Nullable String alias, String value, String help) {
      return new Option(name, alias, value, help);
    }

    public static Option flag(String name, String help) {
      return new Option(name, null, null, help);
    }

    boolean takesValue() {
      return value != null;
    }

    String usage() {
      String names = alias == null ? name : alias + ", " + name;
      return value == null ? names : names + " " + value;
    }
  }

  /** Every value given for each option, in order (an option may be repeated). */
  private final Map<String, List<String>> options;

  private final List<String> positionals;

  private Args(Map<String, List<String>> options, List<String> positionals) {
    this.options = options;
    this.positionals = positionals;
  }

  public static Args parse(List<String> argv, List<Option> declared) throws UsageException {
    Map<String, List<String>> options = new LinkedHashMap<>();
    List<String> positionals = new ArrayList<>();
    boolean onlyPositionals = false;
    for (int i = 0; i < argv.size(); i++) {
      String a = argv.get(i);
      if (onlyPositionals || !a.startsWith("-") || a.equals("-")) {
        positionals.add(a);
        continue;
      }
      if (a.equals("--")) {
        onlyPositionals = true;
        continue;
      }
      String key = a;
      String inline = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        key = a.substring(0, eq);
        inline = a.substring(eq + 1);
      }
      Option o = find(declared, key);
      if (!o.takesValue()) {
        if (inline != null) {
          throw new UsageException(o.name() + " takes no value, got " + a);
        }
        add(options, o.name(), "true");
      } else if (inline != null) {
        add(options, o.name(), inline);
      } else if (i + 1 < argv.size()) {
        add(options, o.name(), argv.get(++i));
      } else {
        throw new UsageException(o.name() + " needs a value (" + o.value() + ")");
      }
    }
    return new Args(options, List.copyOf(positionals));
  }

  private static void add(Map<String, List<String>> options, String name, String value) {
    options.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
  }

  private static Option find(List<Option> declared, String key) throws UsageException {
    for (Option o : declared) {
      if (o.name().equals(key) || key.equals(o.alias())) {
        return o;
      }
    }
    throw new UsageException("unknown option " + key);
  }

  /**
   * The value of {@code --name}, or {@code fallback} when it was not given. Given more than once,
   * the last one counts, as in most command lines.
   */
  public String value(String name, String fallback) {
    String v = value(name);
    return v == null ? fallback : v;
  }

  public @Nullable String value(String name) {
    List<String> all = options.get(name);
    return all == null ? null : all.getLast();
  }

  /** Every value of a repeatable option ({@code --set a=1 --set b=2}), in order; empty if none. */
  public List<String> values(String name) {
    return List.copyOf(options.getOrDefault(name, List.of()));
  }

  /** The value of {@code --name} as an int in [min, max], or {@code fallback}. */
  public int intValue(String name, int fallback, int min, int max) throws UsageException {
    String v = value(name);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below, with the range
    }
    throw new UsageException(name + " must be a number from " + min + " to " + max + ", got " + v);
  }

  public boolean has(String name) {
    return options.containsKey(name);
  }

  public List<String> positionals() {
    return positionals;
  }
}
