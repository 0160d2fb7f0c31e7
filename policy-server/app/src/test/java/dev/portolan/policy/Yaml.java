package dev.portolan.policy;

/** Small YAML snippets for test manifests. */
public final class Yaml {
  private Yaml() {}

  public static String namespace(String name, String opaquePorts) {
    return """
    apiVersion: v1
    kind: Namespace
    metadata:
      name: %s
    %s
    """
        .formatted(name, opaquePorts == null ? "" : annotations(opaquePorts));
  }

  private static String annotations(String opaquePorts) {
    return "  annotations:\n    config.linkerd.io/opaque-ports: \"" + opaquePorts + "\"";
  }

  /** A meshed, ready Pod with one container port {@code name:port}. */
  public static String pod(
      String ns, String name, String app, String ip, String portName, int port) {
    return """
    apiVersion: v1
    kind: Pod
    metadata:
      name: %s
      namespace: %s
      labels: {app: %s, linkerd.io/control-plane-ns: portolan}
    spec:
      serviceAccountName: %s
      containers:
        - name: main
          ports: [{name: %s, containerPort: %d}]
        - name: portolan-proxy
    status:
      phase: Running
      podIP: %s
      conditions: [{type: Ready, status: "True"}]
    """
        .formatted(name, ns, app, app, portName, port, ip);
  }

  public static String service(
      String ns, String name, String app, String clusterIp, int port, String target) {
    return """
    apiVersion: v1
    kind: Service
    metadata:
      name: %s
      namespace: %s
    spec:
      clusterIP: %s
      selector: {app: %s}
      ports: [{name: p, port: %d, targetPort: %s}]
    """
        .formatted(name, ns, clusterIp, app, port, target);
  }

  public static String server(String ns, String name, String app, String port, String protocol) {
    return """
    apiVersion: policy.linkerd.io/v1beta3
    kind: Server
    metadata:
      name: %s
      namespace: %s
    spec:
      podSelector:
        matchLabels: {app: %s}
      port: %s
      proxyProtocol: %s
    """
        .formatted(name, ns, app, port, protocol);
  }

  public static String docs(String... docs) {
    return String.join("---\n", docs);
  }
}
