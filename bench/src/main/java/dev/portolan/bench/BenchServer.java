package dev.portolan.bench;

import dev.portolan.policy.PolicyServerApplication;
import dev.portolan.policy.grpc.GrpcServer;
import dev.portolan.policy.index.Index;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** The real policy-server, started in-process on free loopback ports over a manifests dir. */
final class BenchServer implements AutoCloseable {
  final ConfigurableApplicationContext context;
  final Index index;
  final int grpcPort;

  BenchServer(Path manifests, String... extra) {
    this(manifests, 0, extra);
  }

  /** On gRPC port {@code grpcPort} (0: a free one). */
  BenchServer(Path manifests, int grpcPort, String... extra) {
    SpringApplication app = new SpringApplication(PolicyServerApplication.class);
    List<String> args =
        new ArrayList<>(
            List.of(
                "--portolan.grpc.port=" + grpcPort,
                "--server.port=0",
                "--server.address=127.0.0.1",
                "--portolan.manifests.dir=" + manifests,
                "--logging.level.root=WARN",
                "--logging.level.dev.portolan=WARN"));
    args.addAll(List.of(extra));
    context = app.run(args.toArray(String[]::new));
    index = context.getBean(Index.class);
    this.grpcPort = context.getBean(GrpcServer.class).port();
  }

  @Override
  public void close() {
    context.close();
  }
}
