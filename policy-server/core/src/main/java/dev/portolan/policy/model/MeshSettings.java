package dev.portolan.policy.model;

import java.time.Duration;

/** Install-wide settings the rules depend on. */
public record MeshSettings(
    PortSet defaultOpaquePorts,
    String defaultOpaquePortsRaw,
    Duration detectTimeout,
    String clusterDomain,
    String trustDomain,
    String controlPlaneNamespace,
    int inboundPort,
    int adminPort) {

  public static final String DEFAULT_OPAQUE_PORTS = "25,587,3306,4444,5432,6379,9300,11211";

  public static MeshSettings defaults() {
    return new MeshSettings(
        PortListParser.parse(DEFAULT_OPAQUE_PORTS).ports(),
        DEFAULT_OPAQUE_PORTS,
        Duration.ofSeconds(10),
        "cluster.local",
        "cluster.local",
        "portolan",
        4143,
        4191);
  }

  public MeshSettings withDefaultOpaquePorts(String raw) {
    return new MeshSettings(
        PortListParser.parse(raw).ports(),
        raw,
        detectTimeout,
        clusterDomain,
        trustDomain,
        controlPlaneNamespace,
        inboundPort,
        adminPort);
  }

  /** {@code <sa>.<ns>.serviceaccount.identity.<controlNs>.<trustDomain>} */
  public String identityOf(PodInfo pod) {
    return pod.serviceAccount()
        + "."
        + pod.namespace()
        + ".serviceaccount.identity."
        + controlPlaneNamespace
        + "."
        + trustDomain;
  }
}
