package dev.portolan.tools.cli.check;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ServiceReference;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The proxy injector is registered: the chart's MutatingWebhookConfiguration exists and sends pods
 * to the chart's webhook Service in the release namespace, on a port that Service has
 * (helm/portolan/templates/injector.yaml, services.yaml).
 */
final class WebhookConfigurationCheck implements Check {
  static final String WEBHOOK = "proxy-injector.portolan.dev";
  private static final int DEFAULT_SERVICE_PORT = 443;

  @Override
  public String name() {
    return "the proxy injector webhook is registered";
  }

  @Override
  public CheckResult run(CheckContext ctx) {
    Install in = ctx.install();
    MutatingWebhookConfiguration mwc = find(ctx);
    if (mwc == null) {
      if (!injectorExpected(ctx)) {
        return CheckResult.skipped("the injector is off (injector.enabled=false)");
      }
      return CheckResult.fail(
          "MutatingWebhookConfiguration "
              + in.webhookConfiguration()
              + " not found: new pods are created without a proxy",
          "register it again: " + in.helmUpgrade("--set injector.enabled=true"));
    }
    MutatingWebhook hook = webhook(mwc);
    if (hook == null) {
      return CheckResult.fail(
          in.webhookConfiguration() + " has no webhook " + WEBHOOK,
          "restore it: " + in.helmUpgrade(""));
    }
    ServiceReference ref =
        hook.getClientConfig() == null ? null : hook.getClientConfig().getService();
    if (ref == null) {
      return CheckResult.fail(
          "webhook " + WEBHOOK + " calls a URL, not the Service " + in.webhookService(),
          "restore it: " + in.helmUpgrade(""));
    }
    if (!in.webhookService().equals(ref.getName()) || !in.namespace().equals(ref.getNamespace())) {
      return CheckResult.fail(
          "webhook "
              + WEBHOOK
              + " points at Service "
              + ref.getNamespace()
              + "/"
              + ref.getName()
              + ", not the chart's "
              + in.namespace()
              + "/"
              + in.webhookService(),
          "restore it: " + in.helmUpgrade("") + " (or pass the release's --namespace/--release)");
    }
    Service svc =
        ctx.client().services().inNamespace(in.namespace()).withName(in.webhookService()).get();
    if (svc == null) {
      return CheckResult.fail(
          "Service " + in.namespace() + "/" + in.webhookService() + " not found",
          "restore it: " + in.helmUpgrade(""));
    }
    int port = ref.getPort() == null ? DEFAULT_SERVICE_PORT : ref.getPort();
    boolean hasPort =
        svc.getSpec().getPorts().stream().anyMatch(p -> Objects.equals(p.getPort(), port));
    if (!hasPort) {
      return CheckResult.fail(
          "Service " + in.webhookService() + " has no port " + port + " for the webhook",
          "restore it: " + in.helmUpgrade(""));
    }
    return CheckResult.ok(
        mwc.getMetadata().getName()
            + " → Service "
            + in.namespace()
            + "/"
            + in.webhookService()
            + ":"
            + port
            + (ref.getPath() == null ? "" : ref.getPath())
            + ", failurePolicy "
            + hook.getFailurePolicy());
  }

  static @Nullable MutatingWebhookConfiguration find(CheckContext ctx) {
    return ctx.client()
        .admissionRegistration()
        .v1()
        .mutatingWebhookConfigurations()
        .withName(ctx.install().webhookConfiguration())
        .get();
  }

  static @Nullable MutatingWebhook webhook(MutatingWebhookConfiguration mwc) {
    if (mwc.getWebhooks() == null) {
      return null;
    }
    return mwc.getWebhooks().stream()
        .filter(w -> WEBHOOK.equals(w.getName()))
        .findFirst()
        .orElse(null);
  }

  /**
   * Whether this install has the injector on: its settings say so, or, without them, the Deployment
   * mounts the webhook's certificate.
   */
  static boolean injectorExpected(CheckContext ctx) {
    Boolean enabled = ctx.settings().injectorEnabled();
    if (enabled != null) {
      return enabled;
    }
    return ctx.deployment()
        .map(d -> d.getSpec().getTemplate().getSpec().getVolumes())
        .map(vs -> vs.stream().anyMatch(v -> v.getName().equals("webhook-tls")))
        .orElse(false);
  }
}
