package dev.portolan.tools.cli.check;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What every check reads: the cluster, the release's names, the time, and two objects several
 * checks consult (the policy-server's Deployment and its settings), each read once per run. Not
 * thread-safe: checks run one after another.
 */
public final class CheckContext {
  private final KubernetesClient client;
  private final Install install;
  private final Clock clock;
  private @Nullable Optional<Deployment> deployment;
  private @Nullable Settings settings;

  public CheckContext(KubernetesClient client, Install install, Clock clock) {
    this.client = client;
    this.install = install;
    this.clock = clock;
  }

  public KubernetesClient client() {
    return client;
  }

  public Install install() {
    return install;
  }

  public Instant now() {
    return clock.instant();
  }

  /** The policy-server's Deployment, if it exists. */
  public Optional<Deployment> deployment() {
    Optional<Deployment> d = deployment;
    if (d == null) {
      d =
          Optional.ofNullable(
              client
                  .apps()
                  .deployments()
                  .inNamespace(install.namespace())
                  .withName(install.policyServer())
                  .get());
      deployment = d;
    }
    return d;
  }

  /**
   * The webhook's TLS Secret: the one the Deployment mounts as {@code webhook-tls} (which follows
   * injector.tls.existingSecret), else the chart's default name.
   */
  public String webhookSecretName() {
    return deployment()
        .map(d -> d.getSpec().getTemplate().getSpec().getVolumes())
        .flatMap(vs ->
            vs.stream()
                .filter(v -> v.getName().equals("webhook-tls") && v.getSecret() != null)
                .map(Volume::getSecret)
                .findFirst())
        .map(s -> s.getSecretName())
        .orElse(install.webhookSecret());
  }

  /** The policy-server's settings, from the chart's ConfigMap. */
  public Settings settings() {
    Settings s = settings;
    if (s == null) {
      ConfigMap cm =
          client.configMaps().inNamespace(install.namespace()).withName(install.configMap()).get();
      String yaml =
          cm == null || cm.getData() == null ? null : cm.getData().get("application.yaml");
      Map<?, ?> tree =
          yaml == null ? Map.of() : client.getKubernetesSerialization().unmarshal(yaml, Map.class);
      s = new Settings(cm != null, tree == null ? Map.of() : tree);
      settings = s;
    }
    return s;
  }

  /**
   * The chart's rendering of the policy-server's application.yaml (templates/config.yaml): which
   * parts are on, and the names of the Secrets and ConfigMaps it reads.
   *
   * @param found whether the ConfigMap exists; without it every value is unknown (null)
   */
  public record Settings(boolean found, Map<?, ?> tree) {
    public @Nullable Boolean injectorEnabled() {
      return bool("portolan", "injector", "enabled");
    }

    public @Nullable Boolean identityEnabled() {
      return bool("portolan", "identity", "enabled");
    }

    public @Nullable String issuerSecret() {
      return text("portolan", "identity", "issuer", "secret-name");
    }

    /** Under the injector's identity block; an install from an earlier chart has it under proxy. */
    public @Nullable String trustRootsConfigMap() {
      String now = text("portolan", "injector", "identity", "trust-roots-config-map");
      return now != null ? now : text("portolan", "injector", "proxy", "trust-roots-config-map");
    }

    private @Nullable Boolean bool(String... path) {
      Object v = at(path);
      return v instanceof Boolean b ? b : v == null ? null : Boolean.valueOf(v.toString());
    }

    private @Nullable String text(String... path) {
      Object v = at(path);
      return v == null || v.toString().isEmpty() ? null : v.toString();
    }

    private @Nullable Object at(String... path) {
      Object node = tree;
      for (String key : path) {
        if (!(node instanceof Map<?, ?> m)) {
          return null;
        }
        node = m.get(key);
      }
      return node;
    }
  }
}
