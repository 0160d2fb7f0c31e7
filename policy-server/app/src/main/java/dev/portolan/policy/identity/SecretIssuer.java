package dev.portolan.policy.identity;

import dev.portolan.policy.identity.CertifyRefused.Reason;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode: the issuer lives in a Secret laid out like cert-manager's {@code kubernetes.io/tls}
 * secrets (and Linkerd's {@code linkerd-identity-issuer} with the {@code kubernetes.io/tls}
 * scheme): {@code ca.crt} the trust anchor(s), {@code tls.crt} the issuer certificate (then any
 * intermediates), {@code tls.key} its key. The Secret is read when needed and at most every {@code
 * refresh} — so a rotated issuer is used within that time — and parsed again only when its
 * resourceVersion changed.
 */
public final class SecretIssuer implements IssuerSource {
  public static final String TRUST_ANCHOR_KEY = "ca.crt";
  public static final String CERTIFICATE_KEY = "tls.crt";
  public static final String PRIVATE_KEY_KEY = "tls.key";
  private static final Logger log = LoggerFactory.getLogger(SecretIssuer.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final Duration refresh;
  private final Duration timeout;
  private final Clock clock;
  // Guarded by this: Certify calls are rare (one per proxy per renewal), a lock is no cost.
  private @Nullable Loaded loaded;
  private @Nullable String lastProblem;

  private record Loaded(String resourceVersion, IssuerCredentials credentials, Instant readAt) {}

  /**
   * @param refresh how long a read Secret is used before it is read again
   * @param timeout how long one read may take (it holds the lock other Certify calls wait on)
   */
  public SecretIssuer(
      KubernetesClient client,
      String namespace,
      String name,
      Duration refresh,
      Duration timeout,
      Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.refresh = refresh;
    this.timeout = timeout;
    this.clock = clock;
  }

  @Override
  public synchronized IssuerCredentials current() throws CertifyRefused {
    Instant now = clock.instant();
    Loaded l = loaded;
    if (l != null && now.isBefore(l.readAt().plus(refresh))) {
      return l.credentials();
    }
    Secret secret;
    try {
      secret = read();
    } catch (CertifyRefused e) {
      if (l == null) {
        report(e.getMessage());
        throw e;
      }
      // The API server failing is no reason to stop signing: the issuer read before is still
      // good (the CA checks its expiry on every leaf). A deleted Secret, below, does stop it.
      report(e.getMessage() + "; still signing with the issuer read before");
      loaded = new Loaded(l.resourceVersion(), l.credentials(), now);
      return l.credentials();
    }
    if (secret == null) {
      CertifyRefused absent =
          new CertifyRefused(
              Reason.ISSUER_UNAVAILABLE,
              "the issuer "
                  + origin()
                  + " does not exist; create it with ca.crt, tls.crt and tls.key"
                  + " (docs/identity.md)");
      loaded = null;
      report(absent.getMessage());
      throw absent;
    }
    String version = Objects.requireNonNullElse(secret.getMetadata().getResourceVersion(), "");
    if (l != null && l.resourceVersion().equals(version)) {
      loaded = new Loaded(version, l.credentials(), now);
      return l.credentials();
    }
    try {
      IssuerCredentials c = parse(secret).check(origin(), now);
      loaded = new Loaded(version, c, now);
      lastProblem = null;
      log.info(
          "identity: issuer {} from {} (resourceVersion {}), valid until {}",
          c.issuer().getSubjectX500Principal(),
          origin(),
          version,
          c.issuer().getNotAfter().toInstant());
      return c;
    } catch (IllegalArgumentException e) {
      String problem = String.valueOf(e.getMessage());
      if (l == null) {
        report(problem);
        throw new CertifyRefused(Reason.ISSUER_UNAVAILABLE, problem);
      }
      // A broken update loses nothing: the last good issuer signs until the Secret is fixed.
      report(problem + "; still signing with the issuer read before");
      loaded = new Loaded(l.resourceVersion(), l.credentials(), now);
      return l.credentials();
    }
  }

  private @Nullable Secret read() throws CertifyRefused {
    return ApiCall.within(
        timeout,
        Reason.ISSUER_UNAVAILABLE,
        "reading the issuer " + origin(),
        "; is 'get' on it granted?",
        () -> client.secrets().inNamespace(namespace).withName(name).get());
  }

  private IssuerCredentials parse(Secret secret) {
    Map<String, String> data = Objects.requireNonNullElse(secret.getData(), Map.of());
    String anchors = decode(data, TRUST_ANCHOR_KEY);
    String chain = decode(data, CERTIFICATE_KEY);
    String key = decode(data, PRIVATE_KEY_KEY);
    return new IssuerCredentials(
        Pem.certificates(anchors, origin() + " " + TRUST_ANCHOR_KEY),
        Pem.certificates(chain, origin() + " " + CERTIFICATE_KEY),
        Pem.privateKey(key, origin() + " " + PRIVATE_KEY_KEY));
  }

  private String decode(Map<String, String> data, String key) {
    String b64 = data.get(key);
    if (b64 == null || b64.isBlank()) {
      throw new IllegalArgumentException(origin() + ": no data key " + key);
    }
    try {
      return new String(Base64.getMimeDecoder().decode(b64), StandardCharsets.US_ASCII);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(origin() + " " + key + ": not base64", e);
    }
  }

  /** Logs each new problem once (a proxy retrying would otherwise repeat it every few seconds). */
  private void report(String problem) {
    if (!problem.equals(lastProblem)) {
      lastProblem = problem;
      log.warn("identity: issuer: {}", problem);
    }
  }

  private String origin() {
    return "Secret " + namespace + "/" + name;
  }

  @Override
  public String describe() {
    return origin()
        + " ("
        + TRUST_ANCHOR_KEY
        + ", "
        + CERTIFICATE_KEY
        + ", "
        + PRIVATE_KEY_KEY
        + "), read on demand, re-read at most every "
        + refresh;
  }
}
