package dev.portolan.tools.cli.check;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * The identity issuer (the Secret the policy-server signs proxy certificates with) is a CA, valid
 * for {@link TrustAnchorCheck#MIN_VALIDITY} more, and chains to a trust anchor: proxies reject
 * certificates from an issuer their anchors do not vouch for.
 */
final class IssuerCheck implements Check {
  @Override
  public String name() {
    return "the identity issuer is signed by the trust anchor and valid";
  }

  @Override
  public CheckResult run(CheckContext ctx) {
    Install in = ctx.install();
    if (!identityOn(ctx)) {
      return CheckResult.skipped("identity is off (identity.enabled=false)");
    }
    String configured = ctx.settings().issuerSecret();
    String name = configured != null ? configured : in.issuerSecret();
    String ref = "Secret " + in.namespace() + "/" + name;
    String replace =
        "issue a new issuer from the trust anchor and upgrade: "
            + in.helmUpgrade(
                "--set-file identity.issuer.crtPEM=issuer.crt"
                    + " --set-file identity.issuer.keyPEM=issuer.key")
            + " (docs/install.md, Certificates)";
    List<X509Certificate> issuer;
    List<X509Certificate> anchors;
    try {
      Secret secret = ctx.client().secrets().inNamespace(in.namespace()).withName(name).get();
      if (secret == null) {
        return CheckResult.fail(
            ref + " not found: the identity service cannot sign proxy certificates", replace);
      }
      issuer =
          Certificates.parse(
              Certificates.secretKey(secret.getData(), "tls.crt", ref), ref + " tls.crt");
      String rootsName = TrustAnchorCheck.trustRootsName(ctx);
      ConfigMap roots =
          ctx.client().configMaps().inNamespace(in.namespace()).withName(rootsName).get();
      String where = "ConfigMap " + in.namespace() + "/" + rootsName + " " + TrustAnchorCheck.KEY;
      anchors =
          Certificates.parse(
              roots == null || roots.getData() == null
                  ? null
                  : roots.getData().get(TrustAnchorCheck.KEY),
              where);
    } catch (Certificates.BadCertificate e) {
      return CheckResult.fail(e.reason(), replace);
    }
    X509Certificate cert = issuer.getFirst();
    Instant now = ctx.now();
    Instant end = Certificates.notAfter(cert);
    if (!Certificates.isCa(cert)) {
      return CheckResult.fail(
          "the issuer " + Certificates.subject(cert) + " in " + ref + " is not a CA", replace);
    }
    if (end.isBefore(now.plus(TrustAnchorCheck.MIN_VALIDITY))) {
      return CheckResult.fail(
          "the issuer "
              + Certificates.subject(cert)
              + (end.isBefore(now) ? " expired on " : " expires on ")
              + Certificates.date(end)
              + " ("
              + ref
              + ")",
          replace);
    }
    // The issuer may be an anchor itself (the chart's generated identity) or below one.
    boolean trusted =
        anchors.stream().anyMatch(a -> a.equals(cert))
            || Certificates.chainsTo(cert, issuer.subList(1, issuer.size()), anchors) != null;
    if (!trusted) {
      return CheckResult.fail(
          "the issuer "
              + Certificates.subject(cert)
              + " (issued by "
              + Certificates.issuer(cert)
              + ") does not chain to any trust anchor: proxies reject the certificates it signs",
          replace);
    }
    return CheckResult.ok(
        Certificates.subject(cert)
            + " valid until "
            + Certificates.date(end)
            + " ("
            + Certificates.daysUntil(now, end)
            + " days)");
  }

  private static boolean identityOn(CheckContext ctx) {
    Boolean enabled = ctx.settings().identityEnabled();
    if (enabled != null) {
      return enabled;
    }
    return ctx.client()
            .configMaps()
            .inNamespace(ctx.install().namespace())
            .withName(TrustAnchorCheck.trustRootsName(ctx))
            .get()
        != null;
  }
}
