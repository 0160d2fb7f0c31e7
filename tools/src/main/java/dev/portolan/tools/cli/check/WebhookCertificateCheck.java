package dev.portolan.tools.cli.check;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * The API server will trust the webhook: the caBundle it verifies the webhook with is a valid PEM
 * CA, and it signed the serving certificate the policy-server presents (the webhook TLS Secret's
 * tls.crt), which is valid now and names {@code <service>.<namespace>.svc}, the host the API server
 * calls. A wrong caBundle fails every injection silently under failurePolicy Ignore.
 */
final class WebhookCertificateCheck implements Check {
  @Override
  public String name() {
    return "the webhook's certificate is valid and signed by its caBundle";
  }

  @Override
  public CheckResult run(CheckContext ctx) {
    Install in = ctx.install();
    MutatingWebhookConfiguration mwc = WebhookConfigurationCheck.find(ctx);
    MutatingWebhook hook = mwc == null ? null : WebhookConfigurationCheck.webhook(mwc);
    if (mwc == null || hook == null || hook.getClientConfig() == null) {
      return CheckResult.skipped(
          WebhookConfigurationCheck.injectorExpected(ctx)
              ? "no webhook registered (see above)"
              : "the injector is off (injector.enabled=false)");
    }
    String secretName = ctx.webhookSecretName();
    String secretRef = "Secret " + in.namespace() + "/" + secretName;
    String regenerate =
        "with generated certificates (injector.tls.generate=true) delete the Secret and upgrade,"
            + " which makes the CA, the certificate and the caBundle anew, together: kubectl -n "
            + in.namespace()
            + " delete secret "
            + secretName
            + " && "
            + in.helmUpgrade("")
            + "; with your own, set injector.tls.caBundle to the CA that signed"
            + " injector.tls.crtPEM (docs/install.md, Certificates)";
    List<X509Certificate> bundle;
    X509Certificate leaf;
    List<X509Certificate> chain;
    try {
      String where = "caBundle of " + mwc.getMetadata().getName();
      bundle =
          Certificates.parse(
              Certificates.base64(hook.getClientConfig().getCaBundle(), where), where);
      Secret secret = ctx.client().secrets().inNamespace(in.namespace()).withName(secretName).get();
      if (secret == null) {
        return CheckResult.fail(
            secretRef + " not found: the policy-server has no certificate to serve the webhook",
            regenerate);
      }
      chain =
          Certificates.parse(
              Certificates.secretKey(secret.getData(), "tls.crt", secretRef),
              secretRef + " tls.crt");
      leaf = chain.getFirst();
    } catch (Certificates.BadCertificate e) {
      return CheckResult.fail(e.reason(), regenerate);
    }
    Instant now = ctx.now();
    for (X509Certificate ca : bundle) {
      if (!Certificates.isCa(ca)) {
        return CheckResult.fail(
            "the caBundle holds " + Certificates.subject(ca) + ", which is not a CA", regenerate);
      }
      if (Certificates.notAfter(ca).isBefore(now)) {
        return CheckResult.fail(
            "the caBundle's CA "
                + Certificates.subject(ca)
                + " expired on "
                + Certificates.date(Certificates.notAfter(ca)),
            regenerate);
      }
    }
    if (Certificates.notAfter(leaf).isBefore(now) || Certificates.notBefore(leaf).isAfter(now)) {
      return CheckResult.fail(
          "the serving certificate in "
              + secretRef
              + " is valid from "
              + Certificates.date(Certificates.notBefore(leaf))
              + " to "
              + Certificates.date(Certificates.notAfter(leaf))
              + ", not now",
          regenerate);
    }
    List<String> names = Certificates.dnsNames(leaf);
    if (!names.contains(in.webhookHost())) {
      return CheckResult.fail(
          "the serving certificate names "
              + (names.isEmpty() ? "no DNS name" : names)
              + ", not "
              + in.webhookHost()
              + ", the host the API server calls",
          regenerate);
    }
    X509Certificate signer = Certificates.chainsTo(leaf, chain.subList(1, chain.size()), bundle);
    if (signer == null) {
      return CheckResult.fail(
          "the caBundle of "
              + mwc.getMetadata().getName()
              + " ("
              + String.join("; ", bundle.stream().map(Certificates::subject).toList())
              + ") did not sign the serving certificate in "
              + secretRef
              + " (issued by "
              + Certificates.issuer(leaf)
              + "): the API server refuses the webhook's TLS and pods go uninjected",
          regenerate);
    }
    return CheckResult.ok(
        in.webhookHost()
            + " signed by "
            + Certificates.subject(signer)
            + ", valid until "
            + Certificates.date(Certificates.notAfter(leaf)));
  }
}
