package dev.portolan.proxy.identity;

import com.google.protobuf.ByteString;
import dev.portolan.api.identity.CertifyRequest;
import dev.portolan.api.identity.CertifyResponse;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's mesh identity (docs/design/identity.md): an EC P-256 key and a CSR made once at
 * start, {@code Certify} with the ServiceAccount token (read again for every call: the kubelet
 * rotates it), and the current certificate held as one immutable value, replaced on renewal.
 *
 * <ul>
 *   <li>Renewal at 70% of the remaining lifetime, clamped to 10 s .. 24 h ({@link RenewalPolicy}).
 *   <li>A failed attempt is retried after a jittered exponential backoff (1 s doubling to 30 s),
 *       counted by {@link FailureReason}; while it fails a WARN says when the certificate expires:
 *       once when the outage begins, then once per {@link ExpirySteps} step (25 %, 10 %, 5 %, 1 %
 *       of the lifetime left, expired), at most one a minute; once expired, one a minute.
 *   <li>No fallback: once the certificate has expired, {@link #current()} is {@link
 *       IdentityState.Expired} and mesh TLS refuses to make connections that need it.
 * </ul>
 *
 * <p>Threads: attempts and answers run on the {@link Scheduler}'s thread, one at a time; {@link
 * #current()}, {@link #isReady()} and the counters may be read from any thread.
 *
 * <p>Wiring, in the proxy's main:
 *
 * <pre>{@code
 * IdentityConfig ic = IdentityConfig.fromEnv(System.getenv());   // status 2 on a bad value
 * if (ic.mode() != IdentityConfig.Mode.DISABLED) {
 *   ProxyIdentity id =
 *       ProxyIdentity.start(ic, adminLoop, transport.socketChannel(), MeshTls::serverVerifier);
 *   MeshTls mesh = MeshTls.create(id);     // mesh.providerName() for the ready line
 *   // /ready: 503 until id.isReady(); gauges and counters: secondsUntilExpiry(), expiry(),
 *   // certifications(), failures(reason) for each FailureReason
 * }
 * }</pre>
 */
public final class ProxyIdentity implements IdentitySource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProxyIdentity.class);

  private final String identity;
  private final TrustAnchors anchors;
  private final Path tokenFile;
  private final CertifyClient client;
  private final RenewalPolicy policy;
  private final Scheduler scheduler;
  private final Clock clock;
  private final DoubleSupplier jitter;
  private final @Nullable ScheduledExecutorService ownExecutor;
  private final KeyPair keys;
  private final byte[] csr;
  private final List<Consumer<IdentityCertificate>> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong certifications = new AtomicLong();
  private final AtomicLongArray failures = new AtomicLongArray(FailureReason.values().length);
  private final AtomicLong warnings = new AtomicLong();
  private final AtomicBoolean started = new AtomicBoolean();

  private volatile @Nullable IdentityCertificate current;
  private volatile String lastFailure = "no answer from the identity service yet";
  private volatile boolean closed;
  // Only touched on the scheduler's thread.
  private int failuresInARow;
  private @Nullable Instant lastWarning;
  private boolean warnedExpired;
  // The ExpirySteps step of the current certificate last warned about.
  private int warnedStep;

  /**
   * Everything injected (tests: virtual time, a fixed jitter). Call {@link #start()} to begin.
   *
   * @param jitter uniform in [0, 1), spreads the retries of proxies that failed together
   */
  public ProxyIdentity(
      String identity,
      TrustAnchors anchors,
      Path tokenFile,
      CertifyClient client,
      RenewalPolicy policy,
      Scheduler scheduler,
      Clock clock,
      DoubleSupplier jitter) {
    this(identity, anchors, tokenFile, client, policy, scheduler, clock, jitter, null);
  }

  private ProxyIdentity(
      String identity,
      TrustAnchors anchors,
      Path tokenFile,
      CertifyClient client,
      RenewalPolicy policy,
      Scheduler scheduler,
      Clock clock,
      DoubleSupplier jitter,
      @Nullable ScheduledExecutorService ownExecutor) {
    this.identity = identity;
    this.anchors = anchors;
    this.tokenFile = tokenFile;
    this.client = client;
    this.policy = policy;
    this.scheduler = scheduler;
    this.clock = clock;
    this.jitter = jitter;
    this.ownExecutor = ownExecutor;
    this.keys = Csr.newKeyPair();
    this.csr = Csr.create(keys, identity);
  }

  /**
   * The proxy's identity from its settings, started: the first Certify is under way when this
   * returns. Throws {@link IllegalArgumentException} when the trust anchors cannot be read.
   *
   * @param loop the event loop group Certify's gRPC channel runs on (the admin loop), or null
   * @param channelType the socket channel class of {@code loop}
   * @param verifier how the policy-server's certificate is checked against the anchors (the mesh's
   *     verifier: {@code MeshTls.serverVerifier}, which lives above this package)
   */
  public static ProxyIdentity start(
      IdentityConfig config,
      @Nullable EventLoopGroup loop,
      @Nullable Class<? extends Channel> channelType,
      Function<TrustAnchors, X509ExtendedTrustManager> verifier) {
    TrustAnchors anchors = TrustAnchors.load(config.trustAnchors());
    ScheduledExecutorService executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("portolan-identity").unstarted(r));
    ProxyIdentity id =
        new ProxyIdentity(
            config.identity(),
            anchors,
            config.tokenFile(),
            new GrpcCertifyClient(config, verifier.apply(anchors), loop, channelType),
            RenewalPolicy.DEFAULT,
            Scheduler.of(executor),
            Clock.systemUTC(),
            () -> ThreadLocalRandom.current().nextDouble(),
            executor);
    id.start();
    return id;
  }

  /** Schedules the first Certify at once (once: later calls do nothing). */
  public void start() {
    if (started.compareAndSet(false, true)) {
      scheduler.schedule(Duration.ZERO, this::attempt);
    }
  }

  @Override
  public String identity() {
    return identity;
  }

  @Override
  public TrustAnchors trustAnchors() {
    return anchors;
  }

  /** True once the first certificate arrived (for {@code /ready}); stays true. */
  public boolean isReady() {
    return current != null;
  }

  @Override
  public IdentityState current() {
    IdentityCertificate c = current;
    if (c == null) {
      return new IdentityState.Pending(identity, lastFailure);
    }
    if (c.isExpiredAt(clock.instant())) {
      return new IdentityState.Expired(c, lastFailure);
    }
    return new IdentityState.Valid(c);
  }

  @Override
  public void onCertificate(Consumer<IdentityCertificate> listener) {
    // Under the same lock as a renewal's notification: a listener never sees an older certificate
    // after a newer one.
    synchronized (listeners) {
      listeners.add(listener);
      IdentityCertificate c = current;
      if (c != null) {
        listener.accept(c);
      }
    }
  }

  /** Expiry of the current certificate, null before the first. */
  public @Nullable Instant expiry() {
    IdentityCertificate c = current;
    return c == null ? null : c.expiry();
  }

  /**
   * Seconds until the current certificate expires (negative once expired), 0 before the first: a
   * gauge, e.g. {@code identity_cert_expiry_seconds}.
   */
  public long secondsUntilExpiry() {
    IdentityCertificate c = current;
    return c == null ? 0 : Duration.between(clock.instant(), c.expiry()).toSeconds();
  }

  /** Certificates received (the first and every renewal): a counter. */
  public long certifications() {
    return certifications.get();
  }

  /**
   * Failed Certify attempts for {@code reason}: a counter labelled {@link FailureReason#label()}.
   */
  public long failures(FailureReason reason) {
    return failures.get(reason.ordinal());
  }

  /** WARN lines logged about failing renewals (rate-limited). */
  long warnings() {
    return warnings.get();
  }

  @Override
  public void close() {
    closed = true;
    client.close();
    if (ownExecutor != null) {
      ownExecutor.shutdownNow();
    }
  }

  private void attempt() {
    if (closed) {
      return;
    }
    byte[] token;
    try {
      token = readToken();
    } catch (IOException e) {
      failed(FailureReason.TOKEN, "token file " + tokenFile + ": " + e.getMessage());
      return;
    }
    CertifyRequest request =
        CertifyRequest.newBuilder()
            .setIdentity(identity)
            .setToken(ByteString.copyFrom(token))
            .setCertificateSigningRequest(ByteString.copyFrom(csr))
            .build();
    try {
      client
          .certify(request, policy.certifyTimeout())
          .whenComplete((answer, error) ->
              // Back onto the scheduler's thread: answers never race attempts.
              scheduler.schedule(Duration.ZERO, () -> handle(answer, error)));
    } catch (RuntimeException e) {
      failed(FailureReason.UNREACHABLE, String.valueOf(e));
    }
  }

  private void handle(@Nullable CertifyResponse answer, @Nullable Throwable error) {
    if (closed) {
      return;
    }
    if (error != null || answer == null) {
      Throwable t =
          error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
      failed(CertifyAnswers.classify(t), CertifyAnswers.describe(t));
      return;
    }
    IdentityCertificate cert;
    try {
      IdentityCertificate old = current;
      cert =
          CertifyAnswers.validate(
              answer,
              identity,
              keys,
              anchors,
              clock.instant(),
              old == null ? 1 : old.generation() + 1);
    } catch (GeneralSecurityException | RuntimeException e) {
      failed(FailureReason.BAD_RESPONSE, e.getMessage() == null ? e.toString() : e.getMessage());
      return;
    }
    boolean first = current == null;
    failuresInARow = 0;
    lastWarning = null;
    warnedExpired = false;
    warnedStep = 0;
    lastFailure = "none since the last certificate";
    certifications.incrementAndGet();
    Duration next = policy.refreshIn(Duration.between(clock.instant(), cert.expiry()));
    synchronized (listeners) {
      current = cert;
      for (Consumer<IdentityCertificate> l : listeners) {
        try {
          l.accept(cert);
        } catch (RuntimeException e) {
          log.warn("identity: a certificate listener failed", e);
        }
      }
    }
    if (first) {
      log.info("identity: certified as {} until {}; renewal in {}", identity, cert.expiry(), next);
    } else {
      log.debug("identity: renewed {} until {}; next renewal in {}", identity, cert.expiry(), next);
    }
    scheduler.schedule(next, this::attempt);
  }

  private void failed(FailureReason reason, String detail) {
    failures.incrementAndGet(reason.ordinal());
    lastFailure = reason.label() + ": " + detail;
    failuresInARow++;
    Duration wait = policy.backoff(failuresInARow, jitter.getAsDouble());
    Instant now = clock.instant();
    String message = failureMessage(now, wait);
    IdentityCertificate c = current;
    // Rate-limited, except the first failure after expiry: that one changes what the proxy does.
    boolean newlyExpired = c != null && c.isExpiredAt(now) && !warnedExpired;
    boolean expired = c != null && c.isExpiredAt(now);
    int step =
        c == null ? 0 : ExpirySteps.step(c.leaf().getNotBefore().toInstant(), c.expiry(), now);
    boolean minuteGone = lastWarning == null || !now.isBefore(lastWarning.plus(policy.warnEvery()));
    // Before expiry a valid certificate still carries the mesh: warn when the outage begins and as
    // each step towards expiry is crossed, not every minute for hours. Without a certificate or
    // after expiry connections fail, so the minute rate applies.
    boolean warn =
        newlyExpired
            || lastWarning == null
            || (minuteGone && (c == null || expired || step > warnedStep));
    if (warn) {
      warnedExpired |= newlyExpired;
      warnedStep = Math.max(warnedStep, step);
      lastWarning = now;
      warnings.incrementAndGet();
      log.warn(message);
    } else {
      log.debug(message);
    }
    scheduler.schedule(wait, this::attempt);
  }

  private String failureMessage(Instant now, Duration wait) {
    IdentityCertificate c = current;
    String retry = "; retrying in " + wait.toMillis() + " ms";
    if (c == null) {
      return "identity: no certificate for " + identity + " yet (" + lastFailure + ")" + retry;
    }
    if (c.isExpiredAt(now)) {
      return "identity: the certificate for "
          + identity
          + " expired at "
          + c.expiry()
          + " and cannot be renewed ("
          + lastFailure
          + "): connections that require identity fail"
          + retry;
    }
    int step = ExpirySteps.step(c.leaf().getNotBefore().toInstant(), c.expiry(), now);
    return "identity: cannot renew the certificate for "
        + identity
        + " ("
        + lastFailure
        + "): it expires in "
        + Duration.between(now, c.expiry()).toSeconds()
        + " s, at "
        + c.expiry()
        + " ("
        + ExpirySteps.describe(step)
        + "); connections keep using it until then"
        + retry;
  }

  private byte[] readToken() throws IOException {
    byte[] raw = Files.readAllBytes(tokenFile);
    int from = 0;
    int to = raw.length;
    while (from < to && raw[from] <= ' ') {
      from++;
    }
    while (to > from && raw[to - 1] <= ' ') {
      to--; // a token written by hand often ends with a newline; a JWT never does
    }
    if (from == to) {
      throw new IOException("empty");
    }
    return Arrays.copyOfRange(raw, from, to);
  }
}
