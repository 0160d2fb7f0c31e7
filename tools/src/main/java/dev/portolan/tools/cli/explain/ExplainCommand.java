package dev.portolan.tools.cli.explain;

import dev.portolan.api.v1.DiagnosticsGrpc;
import dev.portolan.api.v1.ExplainRequest;
import dev.portolan.api.v1.ExplainResponse;
import dev.portolan.tools.cli.Args;
import dev.portolan.tools.cli.Command;
import dev.portolan.tools.cli.Portolan;
import dev.portolan.tools.cli.UsageException;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code portolan explain NS KIND NAME [--port P] [--server HOST:PORT]}: one unary call to the
 * policy-server's gRPC port, in plaintext (the gRPC port is plaintext until identity lands; from
 * outside the cluster it is reached through {@code kubectl port-forward}).
 */
public final class ExplainCommand implements Command {
  static final String DEFAULT_SERVER = "localhost:8086";

  @Override
  public String name() {
    return "explain";
  }

  @Override
  public String summary() {
    return "say why each port of a pod or service is opaque, HTTP or detected, and which object"
        + " and field decided it";
  }

  @Override
  public String positionals() {
    return "NAMESPACE pod|service NAME";
  }

  @Override
  public List<Args.Option> options() {
    return List.of(
        Args.Option.valued("--port", "-p", "PORT", "only this port (default: every port)"),
        Args.Option.valued(
            "--server",
            null,
            "HOST:PORT",
            "the policy-server's gRPC address (default "
                + DEFAULT_SERVER
                + "; kubectl -n portolan port-forward deploy/portolan-policy-server 8086)"),
        Args.Option.valued("--timeout", null, "SECONDS", "how long to wait (default 10)"));
  }

  @Override
  public int run(Args args, PrintStream out, PrintStream err) throws UsageException {
    List<String> p = args.positionals();
    if (p.size() != 3) {
      throw new UsageException("expected NAMESPACE KIND NAME, got " + p.size() + " arguments");
    }
    String kind = kind(p.get(1));
    int port = args.intValue("--port", 0, 1, 65535);
    int timeout = args.intValue("--timeout", 10, 1, 3600);
    String server = args.value("--server", DEFAULT_SERVER);
    ExplainRequest request =
        ExplainRequest.newBuilder()
            .setNamespace(p.get(0))
            .setKind(kind)
            .setName(p.get(2))
            .setPort(port)
            .build();
    ManagedChannel channel = NettyChannelBuilder.forTarget(server).usePlaintext().build();
    try {
      ExplainResponse answer =
          DiagnosticsGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeout, TimeUnit.SECONDS)
              .explain(request);
      out.print(ExplanationText.render(answer));
      return Portolan.OK;
    } catch (StatusRuntimeException e) {
      err.println("portolan explain: " + describe(e.getStatus(), server));
      return Portolan.FAILED;
    } finally {
      channel.shutdownNow();
    }
  }

  /** kubectl's spellings of the two kinds the policy-server explains. */
  static String kind(String given) throws UsageException {
    return switch (given.toLowerCase(Locale.ROOT)) {
      case "pod", "pods", "po" -> "pod";
      case "service", "services", "svc" -> "service";
      default -> throw new UsageException("KIND must be pod or service, got " + given);
    };
  }

  private static String describe(Status s, String server) {
    String what = s.getDescription() == null ? s.getCode().toString() : s.getDescription();
    return switch (s.getCode()) {
      case NOT_FOUND -> "not found: " + what;
      case INVALID_ARGUMENT -> "the policy-server refused the request: " + what;
      case UNAVAILABLE, DEADLINE_EXCEEDED ->
          "no answer from the policy-server at "
              + server
              + " ("
              + s.getCode()
              + ": "
              + what
              + "); reach it with kubectl -n portolan port-forward deploy/portolan-policy-server"
              + " 8086, or pass --server HOST:PORT";
      case UNIMPLEMENTED ->
          server + " does not serve portolan.v1.Diagnostics: is it a Portolan policy-server?";
      default -> s.getCode() + ": " + what;
    };
  }
}
