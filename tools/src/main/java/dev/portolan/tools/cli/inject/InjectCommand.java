package dev.portolan.tools.cli.inject;

import dev.portolan.inject.Injector;
import dev.portolan.inject.InjectorConfig;
import dev.portolan.tools.cli.Args;
import dev.portolan.tools.cli.Command;
import dev.portolan.tools.cli.Portolan;
import dev.portolan.tools.cli.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * {@code portolan inject}: Kubernetes YAML in, the same YAML with the proxy injected out, through
 * the webhook's own {@link Injector} (docs/cli.md). Nothing is written to stdout unless every
 * document could be read.
 */
public final class InjectCommand implements Command {
  private final InputStream stdin;

  public InjectCommand() {
    this(System.in);
  }

  /** With another standard input (tests). */
  public InjectCommand(InputStream stdin) {
    this.stdin = stdin;
  }

  @Override
  public String name() {
    return "inject";
  }

  @Override
  public String summary() {
    return "add the proxy to the Pods and Pod templates of a manifest (YAML in, YAML out)";
  }

  @Override
  public List<Args.Option> options() {
    return List.of(
        Args.Option.valued("--file", "-f", "FILE", "the manifest to read; - or none: stdin"),
        Args.Option.valued(
            "--namespace-file",
            null,
            "NS.yaml",
            "Namespace objects whose annotations apply (repeatable)"),
        Args.Option.valued(
            "--set",
            null,
            "KEY=VALUE",
            "an injector setting, e.g. portolan.injector.proxy.image=... (repeatable)"),
        Args.Option.flag("--force", "inject every Pod not annotated linkerd.io/inject: disabled"));
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws UsageException {
    if (!args.positionals().isEmpty()) {
      throw new UsageException("unexpected argument " + args.positionals().getFirst());
    }
    InjectorConfig config = InjectSettings.parse(args.values("--set"));
    String file = args.value("--file", "-");
    try {
      Map<String, Map<String, String>> namespaces = new HashMap<>();
      for (String nsFile : args.values("--namespace-file")) {
        String where = nsFile;
        Manifest m = Manifest.parse(readFile(nsFile));
        for (JsonNode doc : ManifestInjector.read(m, where)) {
          if (doc != null) {
            ManifestInjector.collectNamespaces(doc, namespaces);
          }
        }
      }
      String input =
          file.equals("-")
              ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
              : readFile(file);
      ManifestInjector.Result result =
          new ManifestInjector(new Injector(config), args.has("--force"))
              .inject(input, file.equals("-") ? "stdin" : file, namespaces);
      result.messages().forEach(err::println);
      out.print(result.yaml());
      out.flush();
      return Portolan.OK;
    } catch (ManifestInjector.MalformedException e) {
      err.println("portolan inject: " + e.getMessage());
      return Portolan.FAILED;
    } catch (IOException e) {
      err.println("portolan inject: cannot read " + describe(e) + ": " + e);
      return Portolan.FAILED;
    }
  }

  private static String readFile(String name) throws IOException {
    return Files.readString(Path.of(name), StandardCharsets.UTF_8);
  }

  private static String describe(IOException e) {
    @Nullable String m = e.getMessage();
    return m == null ? "input" : m;
  }
}
