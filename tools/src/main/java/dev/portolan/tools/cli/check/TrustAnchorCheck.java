package dev.portolan.tools.cli.check;

import io.fabric8.kubernetes.api.model.ConfigMap;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The identity trust anchors every proxy verifies its peers against (the chart's trust-roots
 * ConfigMap, ca-bundle.crt) are CAs, valid now, and valid for at least {@link #MIN_VALIDITY} more:
 * an anchor that expires cuts every meshed pod off from every other, and rotating one takes a
 * rollout of every meshed workload, so a month's notice is the least that leaves time for it.
 */
final class TrustAnchorCheck implements Check {
  static final Duration MIN_VALIDITY = Duration.ofDays(30);
  static final String KEY = "ca-bundle.crt";

  @Override
  public String name() {
    return "the identity trust anchor is valid for " + MIN_VALIDITY.toDays() + " days or more";
  }

  @Override
  public CheckResult run(CheckContext ctx) {
    Install in = ctx.install();
    String name = trustRootsName(ctx);
    String ref = "ConfigMap " + in.namespace() + "/" + name;
    ConfigMap cm = ctx.client().configMaps().inNamespace(in.namespace()).withName(name).get();
    if (cm == null) {
      if (!Boolean.TRUE.equals(ctx.settings().identityEnabled())) {
        return CheckResult.skipped("identity is off (identity.enabled=false)");
      }
      return CheckResult.fail(
          ref + " not found: injected proxies cannot mount their trust anchors",
          "restore it: " + in.helmUpgrade(""));
    }
    List<X509Certificate> anchors;
    try {
      anchors =
          Certificates.parse(cm.getData() == null ? null : cm.getData().get(KEY), ref + " " + KEY);
    } catch (Certificates.BadCertificate e) {
      return CheckResult.fail(
          e.reason(),
          "set identity.trustAnchorsPEM to the PEM of the"
              + " trust anchor and upgrade: "
              + in.helmUpgrade("--set-file identity.trustAnchorsPEM=ca.crt"));
    }
    Instant now = ctx.now();
    List<String> problems = new ArrayList<>();
    Instant earliest = null;
    for (X509Certificate a : anchors) {
      Instant end = Certificates.notAfter(a);
      String subject = Certificates.subject(a);
      if (!Certificates.isCa(a)) {
        problems.add(subject + " is not a CA");
      } else if (end.isBefore(now)) {
        problems.add(subject + " expired on " + Certificates.date(end));
      } else if (Certificates.notBefore(a).isAfter(now)) {
        problems.add(
            subject + " is not valid before " + Certificates.date(Certificates.notBefore(a)));
      } else if (end.isBefore(now.plus(MIN_VALIDITY))) {
        problems.add(
            subject
                + " expires on "
                + Certificates.date(end)
                + " (in "
                + Certificates.daysUntil(now, end)
                + " days)");
      }
      earliest = earliest == null || end.isBefore(earliest) ? end : earliest;
    }
    if (!problems.isEmpty()) {
      return CheckResult.fail(
          "trust anchor " + String.join("; ", problems) + " (" + ref + ")", rotation(in));
    }
    return CheckResult.ok(
        anchors.size()
            + (anchors.size() == 1 ? " anchor, " : " anchors, the first to expire ")
            + describeFirst(anchors, earliest, now));
  }

  private static String describeFirst(
      List<X509Certificate> anchors, @Nullable Instant earliest, Instant now) {
    X509Certificate first =
        anchors.stream()
            .filter(a -> Certificates.notAfter(a).equals(earliest))
            .findFirst()
            .orElse(anchors.getFirst());
    Instant end = Certificates.notAfter(first);
    return Certificates.subject(first)
        + " valid until "
        + Certificates.date(end)
        + " ("
        + Certificates.daysUntil(now, end)
        + " days)";
  }

  static String trustRootsName(CheckContext ctx) {
    String configured = ctx.settings().trustRootsConfigMap();
    return configured != null ? configured : ctx.install().trustRoots();
  }

  /** Rotation without an outage: both anchors trusted while workloads move to the new one. */
  static String rotation(Install in) {
    return "rotate it (docs/cli.md, Rotating the trust anchor): make a new trust anchor and an"
        + " issuer signed by it; upgrade with both anchors in identity.trustAnchorsPEM and the new"
        + " issuer ("
        + in.helmUpgrade(
            "--set identity.generate=false --set-file identity.trustAnchorsPEM=bundle.crt"
                + " --set-file identity.issuer.crtPEM=issuer.crt"
                + " --set-file identity.issuer.keyPEM=issuer.key")
        + "); restart every meshed workload; then upgrade again with only the new anchor";
  }
}
