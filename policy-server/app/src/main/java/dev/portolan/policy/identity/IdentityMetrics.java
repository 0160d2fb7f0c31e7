package dev.portolan.policy.identity;

import dev.portolan.policy.identity.CertifyRefused.Reason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code portolan.identity.certify{result=issued|refused, reason=ok|<reason>}}, every series
 * registered up front so a dashboard shows zeros rather than gaps, and the issuer's expiry.
 */
public final class IdentityMetrics {
  public static final String CERTIFY = "portolan.identity.certify";
  public static final String ISSUER_EXPIRY = "portolan.identity.issuer.expiry";
  static final String INTERNAL = "internal";

  private final Counter issued;
  private final Map<Reason, Counter> refused = new EnumMap<>(Reason.class);
  private final Counter internal;
  private final AtomicLong issuerExpiry = new AtomicLong();

  public IdentityMetrics(MeterRegistry registry) {
    issued = counter(registry, "issued", "ok");
    for (Reason r : Reason.values()) {
      refused.put(r, counter(registry, "refused", r.tag()));
    }
    internal = counter(registry, "refused", INTERNAL);
    Gauge.builder(ISSUER_EXPIRY, issuerExpiry, AtomicLong::get)
        .description("Expiry of the issuer certificate last used, in seconds since the epoch")
        .baseUnit("seconds")
        .register(registry);
  }

  private static Counter counter(MeterRegistry registry, String result, String reason) {
    return Counter.builder(CERTIFY)
        .description("Identity.Certify calls by outcome")
        .tag("result", result)
        .tag("reason", reason)
        .register(registry);
  }

  void issued() {
    issued.increment();
  }

  void refused(Reason reason) {
    java.util.Objects.requireNonNull(refused.get(reason)).increment();
  }

  void internalError() {
    internal.increment();
  }

  void issuerExpiry(Instant notAfter) {
    issuerExpiry.set(notAfter.getEpochSecond());
  }
}
