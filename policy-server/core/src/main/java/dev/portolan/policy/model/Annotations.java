package dev.portolan.policy.model;

/** The annotation and label keys Portolan reads (Linkerd's, so Linkerd manifests work as-is). */
public final class Annotations {
  public static final String OPAQUE_PORTS = "config.linkerd.io/opaque-ports";
  public static final String SKIP_INBOUND_PORTS = "config.linkerd.io/skip-inbound-ports";
  public static final String SKIP_OUTBOUND_PORTS = "config.linkerd.io/skip-outbound-ports";
  public static final String SKIP_SUBNETS = "config.linkerd.io/skip-subnets";
  public static final String ENABLE_EXTERNAL_PROFILES =
      "config.linkerd.io/enable-external-profiles";
  public static final String REQUIRE_IDENTITY_INBOUND_PORTS =
      "config.linkerd.io/proxy-require-identity-inbound-ports";
  public static final String DEFAULT_INBOUND_POLICY = "config.linkerd.io/default-inbound-policy";

  /**
   * On a Server: the Detect timeout of the ports it selects (Portolan's own key: Linkerd's Server
   * has no such field, and its schema stays as Linkerd's).
   */
  public static final String DETECT_TIMEOUT = "config.portolan.io/detect-timeout";

  /** A Pod is meshed when it carries this label (the injector sets it). */
  public static final String CONTROL_PLANE_NS_LABEL = "linkerd.io/control-plane-ns";

  private Annotations() {}
}
