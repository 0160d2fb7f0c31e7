package dev.portolan.policy;

import dev.portolan.policy.config.PortolanProperties;
import dev.portolan.policy.grpc.GrpcServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.WebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Logs the chosen ports on one line once started (ports given as 0 are picked then). */
@Component
public class StartupLog {
  private static final Logger log = LoggerFactory.getLogger(StartupLog.class);
  private final GrpcServer grpc;
  private final PortolanProperties props;

  public StartupLog(GrpcServer grpc, PortolanProperties props) {
    this.grpc = grpc;
    this.props = props;
  }

  @EventListener
  public void ready(ApplicationReadyEvent event) {
    int http =
        event.getApplicationContext() instanceof WebServerApplicationContext w
                && w.getWebServer() instanceof WebServer server
            ? server.getPort()
            : -1;
    String source =
        props.source().equals("manifests")
            ? "manifests " + props.manifests().dir().toAbsolutePath().normalize()
            : props.source();
    log.info(
        "portolan policy-server listening: grpc={} http={} source={}", grpc.port(), http, source);
  }
}
