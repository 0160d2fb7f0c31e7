package dev.portolan.policy.inject;

import dev.portolan.inject.AdmissionHandler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;

/**
 * The admission webhook over HTTPS, on its own port beside the actuator's (docs/injector.md).
 * Reactor Netty's server directly, not a second WebFlux application: one route, no Spring MVC
 * machinery, and a TLS context of its own. Two event-loop threads of its own too, so a slow
 * actuator scrape never delays an admission (the API server waits on it for every Pod).
 */
final class WebhookServer implements SmartLifecycle {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookServer.class);
  private static final Duration SELF_SIGNED_VALIDITY = Duration.ofDays(365);

  private final InjectorProperties props;
  private final AdmissionHandler handler;
  private final MeterRegistry registry;
  private final Timer latency;
  private final Counter warnings;
  private volatile @Nullable DisposableServer server;
  private volatile @Nullable LoopResources loops;
  private volatile @Nullable WebhookTls tls;

  WebhookServer(InjectorProperties props, AdmissionHandler handler, MeterRegistry registry) {
    this.props = props;
    this.handler = handler;
    this.registry = registry;
    this.latency =
        Timer.builder("portolan.injector.latency")
            .description("Time to answer one AdmissionReview")
            .register(registry);
    this.warnings =
        Counter.builder("portolan.injector.warnings")
            .description("Warnings returned to the API server (bad annotations, failures)")
            .register(registry);
  }

  @Override
  public void start() {
    WebhookTls t = tls();
    SslContext ssl;
    try {
      ssl = SslContextBuilder.forServer(t.key(), t.chain().toArray(X509Certificate[]::new)).build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalStateException(
          "injector: cannot build the TLS context: " + e.getMessage(), e);
    }
    long t0 = System.nanoTime();
    handler.warmUp();
    LOG.debug("injector: warmed up in {} ms", (System.nanoTime() - t0) / 1_000_000);
    LoopResources l = LoopResources.create("portolan-injector", 1, 2, true);
    loops = l;
    DisposableServer s =
        HttpServer.create()
            .port(props.port())
            .runOn(l)
            .secure(spec -> spec.sslContext(ssl))
            .idleTimeout(Duration.ofSeconds(60))
            .handle(this::serve)
            .bindNow(Duration.ofSeconds(10));
    server = s;
    LOG.info(
        "injector: serving AdmissionReview v1 on https://0.0.0.0:{}{} ({})",
        s.port(),
        props.path(),
        t.generated()
            ? "self-signed certificate"
            : "certificate " + t.leaf().getSubjectX500Principal().getName());
  }

  private WebhookTls tls() {
    Path certFile = props.certFile();
    Path keyFile = props.keyFile();
    if (certFile != null && keyFile != null) {
      WebhookTls t = WebhookTls.load(certFile, keyFile);
      tls = t;
      return t;
    }
    if (certFile != null || keyFile != null) {
      throw new IllegalStateException(
          "injector: portolan.injector.cert-file and key-file go together: set both or neither");
    }
    WebhookTls t = WebhookTls.selfSigned(SELF_SIGNED_VALIDITY);
    tls = t;
    // Fine for a test or a local API server told to trust it; a cluster's API server only
    // trusts the caBundle of the MutatingWebhookConfiguration, which cannot know this one.
    LOG.warn(
        "injector: no portolan.injector.cert-file/key-file: generated a self-signed certificate"
            + " for localhost (SHA-256 {}, valid until {}). An API server will not call a webhook"
            + " whose certificate its caBundle does not hold.",
        t.fingerprint(),
        t.leaf().getNotAfter().toInstant());
    return t;
  }

  private Publisher<Void> serve(HttpServerRequest req, HttpServerResponse res) {
    if (!props.path().equals(req.fullPath())) {
      return text(
          res, HttpResponseStatus.NOT_FOUND, "not found: the webhook is at " + props.path());
    }
    if (!HttpMethod.POST.equals(req.method())) {
      res.header(HttpHeaderNames.ALLOW, "POST");
      return text(res, HttpResponseStatus.METHOD_NOT_ALLOWED, "POST an AdmissionReview");
    }
    long max = props.maxRequestSize().toBytes();
    String length = req.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
    if (length != null && parse(length) > max) {
      return tooLarge(res, max);
    }
    long started = System.nanoTime();
    return req.receive()
        .asByteArray()
        .collect(() -> new Capped(max), Capped::add)
        .flatMap(body -> {
          AdmissionHandler.Answer a = handler.handle(body.bytes());
          latency.record(Duration.ofNanos(System.nanoTime() - started));
          count(a);
          return Mono.from(
              res.status(a.status())
                  .header(
                      HttpHeaderNames.CONTENT_TYPE,
                      a.status() == 200 ? "application/json" : "text/plain; charset=utf-8")
                  .sendByteArray(Mono.just(a.body())));
        })
        .onErrorResume(TooLarge.class, e -> Mono.from(tooLarge(res, max)));
  }

  private void count(AdmissionHandler.Answer a) {
    Counter.builder("portolan.injector.requests")
        .description("AdmissionReviews answered, by result")
        .tag("result", a.result())
        .register(registry)
        .increment();
    warnings.increment(a.warnings().size());
  }

  private Publisher<Void> tooLarge(HttpServerResponse res, long max) {
    count(new AdmissionHandler.Answer(413, new byte[0], "too_large", List.of()));
    return text(
        res,
        HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
        "the AdmissionReview is larger than portolan.injector.max-request-size ("
            + max
            + " bytes)");
  }

  private static Publisher<Void> text(HttpServerResponse res, HttpResponseStatus status, String s) {
    return res.status(status)
        .header(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .sendString(Mono.just(s + "\n"), StandardCharsets.UTF_8);
  }

  private static long parse(String length) {
    try {
      return Long.parseLong(length.strip());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  /** The body so far; refuses to grow past the cap (the rest of the body is then not read). */
  private static final class Capped {
    private final long max;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Capped(long max) {
      this.max = max;
    }

    void add(byte[] chunk) {
      if (out.size() + (long) chunk.length > max) {
        throw new TooLarge();
      }
      out.writeBytes(chunk);
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }

  private static final class TooLarge extends RuntimeException {
    TooLarge() {
      super(null, null, false, false);
    }
  }

  /** The bound port (the chosen one when configured as 0), or -1 when not running. */
  int port() {
    DisposableServer s = server;
    return s == null ? -1 : s.port();
  }

  /** The serving certificate (for a test to trust the generated one). */
  @Nullable X509Certificate certificate() {
    WebhookTls t = tls;
    return t == null ? null : t.leaf();
  }

  @Override
  public void stop() {
    DisposableServer s = server;
    if (s != null) {
      s.disposeNow(Duration.ofSeconds(5));
      server = null;
    }
    LoopResources l = loops;
    if (l != null) {
      // The server is closed already: nothing is left for a quiet period to wait for.
      l.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(6));
      loops = null;
    }
  }

  @Override
  public boolean isRunning() {
    return server != null;
  }
}
