package dev.portolan.proxy.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.portolan.api.identity.CertifyResponse;
import dev.portolan.proxy.tls.MeshTls;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certify against a real gRPC Identity service on loopback (TLS, signed by a test CA), in virtual
 * time: {@link ManualTime} moves the clock from one scheduled attempt to the next.
 */
class ProxyIdentityTest {
  static final String ID = "web.shop.serviceaccount.identity.portolan.cluster.local";
  static final String SERVER_NAME =
      "policy-server.portolan.serviceaccount.identity.portolan.cluster.local";
  static final TestPki.Ca ROOT = TestPki.root("root");
  static final TestPki.Ca ISSUER = ROOT.intermediate("issuer");

  @TempDir Path dir;
  Path token;
  ManualTime time;
  TestIdentityServer server;
  ProxyIdentity identity;
  final List<IdentityCertificate> seen = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    token = Files.writeString(dir.resolve("token"), "token-1\n");
    time = new ManualTime(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    server = new TestIdentityServer(ISSUER, time, ISSUER.leaf(SERVER_NAME, Duration.ofDays(1)));
  }

  @AfterEach
  void tearDown() {
    if (identity != null) {
      identity.close();
    }
    server.close();
  }

  /** TLS to the test server, expecting {@code serverName}; jitter fixed at 0.5 (x0.75). */
  ProxyIdentity identity(String serverName, IdentityConfig.Mode mode, String address) {
    IdentityConfig config =
        new IdentityConfig(mode, ID, address, token, dir.resolve("unused.pem"), serverName);
    TrustAnchors anchors = TrustAnchors.fromPem(ROOT.pem());
    ProxyIdentity id =
        new ProxyIdentity(
            ID,
            anchors,
            token,
            new GrpcCertifyClient(config, MeshTls.serverVerifier(anchors), null, null),
            RenewalPolicy.DEFAULT,
            time,
            time,
            () -> 0.5);
    id.onCertificate(seen::add);
    return id;
  }

  /** X.509 keeps whole seconds: a leaf issued at a fractional now lives a little under 100 s. */
  Duration seventyPercentOfWhatIsLeft() {
    return Duration.ofMillis(
        Duration.between(time.instant(), identity.expiry()).toMillis() / 10 * 7);
  }

  ProxyIdentity started() {
    identity = identity(SERVER_NAME, IdentityConfig.Mode.TLS, server.address());
    identity.start();
    time.runNext(); // the first attempt was scheduled at once
    return identity;
  }

  @Test
  void certifies_over_tls_and_is_ready_only_after_the_first_certificate() throws Exception {
    identity = identity(SERVER_NAME, IdentityConfig.Mode.TLS, server.address());
    assertThat(identity.isReady()).isFalse();
    assertThat(identity.current()).isInstanceOf(IdentityState.Pending.class);
    assertThat(identity.current().reason()).contains("no certificate for " + ID + " yet");

    identity.start();
    time.runNext();

    assertThat(identity.isReady()).isTrue();
    IdentityState.Valid valid = (IdentityState.Valid) identity.current();
    IdentityCertificate cert = valid.certificate();
    assertThat(IdentityNames.dnsNames(cert.leaf())).containsExactly(ID);
    assertThat(cert.intermediates()).containsExactly(ISSUER.cert());
    assertThat(cert.generation()).isEqualTo(1);
    assertThat(cert.expiry()).isEqualTo(time.instant().plusSeconds(100));
    assertThat(identity.certifications()).isEqualTo(1);
    assertThat(identity.secondsUntilExpiry()).isEqualTo(100);
    assertThat(seen).containsExactly(cert);

    assertThat(server.requests).hasSize(1);
    var request = server.requests.getFirst();
    assertThat(request.getIdentity()).isEqualTo(ID);
    assertThat(request.getToken().toStringUtf8()).isEqualTo("token-1"); // newline stripped
    assertThat(TestPki.csrDnsNames(request.getCertificateSigningRequest().toByteArray()))
        .containsExactly(ID);
  }

  @Test
  void renews_at_70_percent_of_the_lifetime_with_a_fresh_token() throws Exception {
    started();
    assertThat(time.nextIn()).isEqualTo(Duration.ofSeconds(70));
    Files.writeString(token, "token-2"); // the kubelet rotated it

    time.runNext();

    assertThat(server.requests).hasSize(2);
    assertThat(server.requests.get(1).getToken().toStringUtf8()).isEqualTo("token-2");
    // Same key, same CSR: one key pair per process.
    assertThat(server.requests.get(1).getCertificateSigningRequest())
        .isEqualTo(server.requests.get(0).getCertificateSigningRequest());
    assertThat(seen).extracting(IdentityCertificate::generation).containsExactly(1L, 2L);
    assertThat(((IdentityState.Valid) identity.current()).certificate()).isSameAs(seen.get(1));
    assertThat(seen.get(1).leaf().getSerialNumber())
        .isNotEqualTo(seen.get(0).leaf().getSerialNumber());
    assertThat(identity.certifications()).isEqualTo(2);
    assertThat(time.nextIn()).isEqualTo(Duration.ofSeconds(70));
  }

  @Test
  void renewal_is_clamped_to_24_hours_and_10_seconds() {
    server.lifetime(Duration.ofDays(30));
    started();
    assertThat(time.nextIn()).isEqualTo(Duration.ofHours(24));

    server.lifetime(Duration.ofSeconds(5));
    time.runNext();
    assertThat(time.nextIn()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void a_failing_control_plane_is_retried_with_jittered_exponential_backoff() {
    server.fail(Status.UNAVAILABLE.withDescription("starting"));
    identity = identity(SERVER_NAME, IdentityConfig.Mode.TLS, server.address());
    identity.start();
    time.runNext();
    List<Duration> waits = new java.util.ArrayList<>();
    waits.add(time.nextIn());
    for (int i = 0; i < 5; i++) {
      time.runNext();
      waits.add(time.nextIn());
    }
    // 1 s doubling to the 30 s cap, each x0.75 (the fixed jitter).
    assertThat(waits)
        .containsExactly(
            Duration.ofMillis(750),
            Duration.ofMillis(1500),
            Duration.ofMillis(3000),
            Duration.ofMillis(6000),
            Duration.ofMillis(12000),
            Duration.ofMillis(22500));
    assertThat(identity.failures(FailureReason.UNREACHABLE)).isEqualTo(6);
    assertThat(identity.isReady()).isFalse();
    assertThat(identity.current().reason()).contains("unreachable: UNAVAILABLE starting");

    server.signAgain();
    time.runNext();
    assertThat(identity.isReady()).isTrue();
    assertThat(time.nextIn()).isEqualTo(seventyPercentOfWhatIsLeft()); // the renewal rhythm again

    server.fail(Status.UNAVAILABLE);
    time.runNext();
    assertThat(time.nextIn()).isEqualTo(Duration.ofMillis(750)); // the backoff starts over
  }

  @Test
  void refusals_and_token_problems_are_counted_by_reason() throws Exception {
    Files.delete(token);
    identity = identity(SERVER_NAME, IdentityConfig.Mode.TLS, server.address());
    identity.start();
    time.runNext();
    assertThat(identity.failures(FailureReason.TOKEN)).isEqualTo(1);
    assertThat(server.requests).isEmpty(); // nothing to send without a token
    assertThat(identity.current().reason()).contains("token file " + token);

    Files.writeString(token, "   ");
    time.runNext();
    assertThat(identity.failures(FailureReason.TOKEN)).isEqualTo(2);
    assertThat(identity.current().reason()).contains("empty");

    Files.writeString(token, "token-3");
    server.fail(Status.PERMISSION_DENIED.withDescription("token is for another service account"));
    time.runNext();
    assertThat(identity.failures(FailureReason.REFUSED)).isEqualTo(1);
    assertThat(identity.current().reason())
        .contains("refused: PERMISSION_DENIED token is for another service account");
    assertThat(identity.isReady()).isFalse();
  }

  @Test
  void a_certificate_for_another_identity_key_or_root_is_refused() {
    TestPki.Ca otherRoot = TestPki.root("other");
    TestPki.Leaf stranger =
        ISSUER.leaf("db.shop.serviceaccount.identity.portolan.cluster.local", Duration.ofHours(1));
    server.answer(r ->
        CertifyResponse.newBuilder()
            .setLeafCertificate(TestIdentityServer.der(stranger.cert()))
            .addIntermediateCertificates(TestIdentityServer.der(ISSUER.cert()))
            .build());
    identity = identity(SERVER_NAME, IdentityConfig.Mode.TLS, server.address());
    identity.start();
    time.runNext();
    assertThat(identity.current().reason())
        .contains("bad_response: the leaf certificate is for another key");

    server.answer(r -> {
      Instant now = time.instant();
      var wrong =
          otherRoot.issueFromCsr(
              r.getCertificateSigningRequest().toByteArray(), now, now.plusSeconds(100));
      return CertifyResponse.newBuilder().setLeafCertificate(TestIdentityServer.der(wrong)).build();
    });
    time.runNext();
    assertThat(identity.current().reason())
        .contains("bad_response: the certificate does not verify against the trust anchors");

    server.answer(r -> CertifyResponse.getDefaultInstance());
    time.runNext();
    assertThat(identity.current().reason()).contains("the answer has an empty leaf certificate");
    assertThat(identity.failures(FailureReason.BAD_RESPONSE)).isEqualTo(3);
    assertThat(identity.isReady()).isFalse();
  }

  @Test
  void a_policy_server_with_another_name_is_not_trusted() {
    identity = identity("evil.example", IdentityConfig.Mode.TLS, server.address());
    identity.start();
    time.runNext();
    assertThat(identity.failures(FailureReason.TLS)).isEqualTo(1);
    assertThat(server.requests).isEmpty();
    assertThat(identity.isReady()).isFalse();
  }

  @Test
  void plaintext_certify_for_the_embedded_default() throws Exception {
    try (TestIdentityServer plain = new TestIdentityServer(ISSUER, time, null)) {
      identity = identity(SERVER_NAME, IdentityConfig.Mode.PLAINTEXT, plain.address());
      identity.start();
      time.runNext();
      assertThat(identity.isReady()).isTrue();
      assertThat(plain.requests).hasSize(1);
    }
  }

  @Test
  void an_expired_certificate_is_reported_and_not_usable_with_rate_limited_warnings() {
    started();
    server.fail(Status.UNAVAILABLE.withDescription("control plane down"));
    // Renewal at 70 s fails; retries at +0.75, +1.5, +3, +6, +12, +22.5 s: within the first
    // minute one WARN only.
    time.runNext();
    assertThat(identity.warnings()).isEqualTo(1);
    assertThat(identity.current()).isInstanceOf(IdentityState.Valid.class);
    for (int i = 0; i < 3; i++) {
      time.runNext();
    }
    assertThat(identity.warnings()).isEqualTo(1);
    assertThat(identity.secondsUntilExpiry()).isBetween(1L, 30L);

    while (time.instant().isBefore(seen.getFirst().expiry())) {
      time.runNext();
    }
    IdentityState state = identity.current();
    assertThat(state).isInstanceOf(IdentityState.Expired.class);
    assertThat(state.reason())
        .contains("expired at " + seen.getFirst().expiry())
        .contains("control plane down");
    assertThat(identity.secondsUntilExpiry()).isNotPositive();
    assertThat(identity.isReady()).isTrue(); // ready means "was certified": no flapping on /ready
    assertThat(identity.warnings()).isEqualTo(2); // a minute later, one more
    assertThat(new IdentityUnavailableException(state)).hasMessage(state.reason());

    server.signAgain();
    time.runNext();
    assertThat(identity.current()).isInstanceOf(IdentityState.Valid.class);
  }

  /**
   * A one-hour certificate and a control plane that stays down: one WARN when renewal first fails
   * (30 % left), one per step (25 %, 10 %, 5 %, 1 % left), one at expiry, then one a minute; not
   * one per retry (every 22.5 s here) nor one a minute for the 18 minutes before expiry.
   */
  @Test
  void while_the_control_plane_is_down_warns_once_per_step_towards_expiry() {
    server.lifetime(Duration.ofHours(1));
    started();
    IdentityCertificate first = seen.getFirst();
    server.fail(Status.UNAVAILABLE.withDescription("control plane down"));
    Instant expiry = first.expiry();
    Instant issued = first.leaf().getNotBefore().toInstant();
    long lifetime = Duration.between(issued, expiry).toMillis();
    List<Long> warningsAtStep = new CopyOnWriteArrayList<>();
    int attempts = 0;
    int lastStep = -1;
    while (time.instant().isBefore(expiry)) {
      time.runNext();
      attempts++;
      int step = ExpirySteps.step(issued, expiry, time.instant());
      if (step != lastStep) {
        warningsAtStep.add(identity.warnings());
        lastStep = step;
      }
      assertThat(identity.current()).isNotInstanceOf(IdentityState.Pending.class);
    }
    assertThat(attempts).as("retries every 22.5 s for 18 min").isGreaterThan(40);
    assertThat(lifetime).isEqualTo(Duration.ofHours(1).toMillis());
    // The outage begins (step 0), then steps 1, 2, 3, 4 and expired: one WARN each.
    assertThat(warningsAtStep).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(identity.current()).isInstanceOf(IdentityState.Expired.class);

    // Expired: connections that need identity fail, so it says so once a minute.
    Instant until = time.instant().plus(Duration.ofMinutes(3));
    while (time.instant().isBefore(until)) {
      time.runNext();
    }
    assertThat(identity.warnings()).isBetween(8L, 9L);
  }

  /** The same in real time: a 10 s certificate is renewed after about 7 s, not before. */
  @Test
  void renews_a_short_lived_certificate_in_real_time() throws Exception {
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (TestIdentityServer real =
        new TestIdentityServer(
            ISSUER, Clock.systemUTC(), ISSUER.leaf(SERVER_NAME, Duration.ofDays(1)))) {
      real.lifetime(Duration.ofSeconds(10));
      IdentityConfig config =
          new IdentityConfig(
              IdentityConfig.Mode.TLS, ID, real.address(), token, token, SERVER_NAME);
      TrustAnchors anchors = TrustAnchors.fromPem(ROOT.pem());
      List<Instant> received = new CopyOnWriteArrayList<>();
      List<Instant> expiries = new CopyOnWriteArrayList<>();
      identity =
          new ProxyIdentity(
              ID,
              anchors,
              token,
              new GrpcCertifyClient(config, MeshTls.serverVerifier(anchors), null, null),
              new RenewalPolicy(
                  Duration.ofSeconds(1),
                  Duration.ofHours(24),
                  Duration.ofSeconds(1),
                  Duration.ofSeconds(30),
                  Duration.ofMinutes(1),
                  Duration.ofSeconds(10)),
              Scheduler.of(executor),
              Clock.systemUTC(),
              () -> 0.5);
      identity.onCertificate(c -> {
        expiries.add(c.expiry());
        received.add(Instant.now());
      });
      identity.start();
      await().atMost(Duration.ofSeconds(10)).until(identity::isReady);
      await().atMost(Duration.ofSeconds(20)).until(() -> received.size() >= 2);
      // Renewed at 70% of what was left of the first certificate when it arrived (at most 10 s:
      // X.509 keeps whole seconds, and a loaded machine delivers it late), not earlier; 50 ms for
      // the listener's clock read after the proxy's.
      Duration left = Duration.between(received.get(0), expiries.get(0));
      assertThat(Duration.between(received.get(0), received.get(1)))
          .isGreaterThanOrEqualTo(left.multipliedBy(7).dividedBy(10).minusMillis(50));
    } finally {
      executor.shutdownNow();
    }
  }
}
