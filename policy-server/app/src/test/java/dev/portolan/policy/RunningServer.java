package dev.portolan.policy;

import dev.portolan.policy.grpc.GrpcServer;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * The real policy-server started in this JVM on free ports, as {@code main} would start it. Closing
 * it runs what the JVM's shutdown hook runs on SIGTERM: the context's close.
 */
public final class RunningServer implements AutoCloseable {
  private final ConfigurableApplicationContext context;

  private RunningServer(ConfigurableApplicationContext context) {
    this.context = context;
  }

  /** Starts on the manifests of {@code dir}; {@code extra} arguments win over the defaults. */
  public static RunningServer start(ManifestDir dir, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--portolan.grpc.port=0",
                "--server.port=0",
                "--portolan.manifests.dir=" + dir.path(),
                "--spring.main.banner-mode=off"));
    args.addAll(List.of(extra));
    SpringApplication app = new SpringApplication(PolicyServerApplication.class);
    // The test owns the close: no shutdown hook of its own left behind in the test JVM.
    app.setRegisterShutdownHook(false);
    // Event loops of its own: by default every context shares Reactor Netty's global loops and
    // closing one context disposes them under the HTTP servers of every other context in this
    // JVM (a server process has one context, so production keeps the default).
    app.addInitializers(ctx ->
        ((GenericApplicationContext) ctx)
            .registerBean(
                ReactorResourceFactory.class,
                () -> {
                  ReactorResourceFactory f = new ReactorResourceFactory();
                  f.setUseGlobalResources(false);
                  return f;
                }));
    return new RunningServer(app.run(args.toArray(String[]::new)));
  }

  public int grpcPort() {
    return context.getBean(GrpcServer.class).port();
  }

  public int httpPort() {
    return ((WebServerApplicationContext) context).getWebServer().getPort();
  }

  public ConfigurableApplicationContext context() {
    return context;
  }

  @Override
  public void close() {
    context.close();
  }
}
