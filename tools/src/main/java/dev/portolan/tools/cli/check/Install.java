package dev.portolan.tools.cli.check;

/**
 * The names of one release of helm/portolan, as its templates/_helpers.tpl makes them: every object
 * is named after the release's full name ({@code portolan} for a release named portolan).
 *
 * @param namespace the release namespace (the control plane's)
 * @param release the Helm release name
 */
public record Install(String namespace, String release) {
  static final String CHART = "portolan";

  /** Helm's full names are truncated to this many characters (portolan.fullname). */
  private static final int FULLNAME_MAX = 40;

  /** A release named after the chart keeps its name; any other gets the chart's name appended. */
  public String fullname() {
    String base = release.contains(CHART) ? release : release + "-" + CHART;
    if (base.length() > FULLNAME_MAX) {
      base = base.substring(0, FULLNAME_MAX);
    }
    // Helm's trimSuffix removes one occurrence only.
    return base.endsWith("-") ? base.substring(0, base.length() - 1) : base;
  }

  /** Deployment, ServiceAccount, ClusterRole and ClusterRoleBinding. */
  public String policyServer() {
    return fullname() + "-policy-server";
  }

  public String configMap() {
    return policyServer() + "-config";
  }

  public String webhookService() {
    return fullname() + "-webhook";
  }

  /** The chart's own webhook Secret; injector.tls.existingSecret replaces it. */
  public String webhookSecret() {
    return fullname() + "-webhook-tls";
  }

  public String webhookConfiguration() {
    return fullname() + "-proxy-injector";
  }

  /** The chart's own issuer Secret; identity.issuer.existingSecret replaces it. */
  public String issuerSecret() {
    return fullname() + "-identity-issuer";
  }

  public String trustRoots() {
    return fullname() + "-identity-trust-roots";
  }

  /** The host name the API server calls the webhook by, which its certificate must name. */
  public String webhookHost() {
    return webhookService() + "." + namespace + ".svc";
  }

  /** {@code helm upgrade} of this release, for hints. */
  public String helmUpgrade(String extra) {
    return "helm upgrade "
        + release
        + " helm/portolan -n "
        + namespace
        + " --reuse-values"
        + (extra.isEmpty() ? "" : " " + extra);
  }
}
