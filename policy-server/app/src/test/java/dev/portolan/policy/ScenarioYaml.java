package dev.portolan.policy;

/** YAML for the scenario tables: one namespace per case, so cases never interfere. */
final class ScenarioYaml {
  private ScenarioYaml() {}

  static String ns(String name, String opaquePorts) {
    return Yaml.namespace(name, opaquePorts);
  }

  /** A ready Pod; {@code annotations} is a YAML flow map body or "" ; meshed unless told. */
  static String pod(
      String ns, String name, String ip, String ports, String annotations, boolean meshed) {
    return """
    apiVersion: v1
    kind: Pod
    metadata:
      name: %s
      namespace: %s
      labels: {app: %s%s}
      annotations: {%s}
    spec:
      serviceAccountName: sa
      containers:
        - name: main
          ports: [%s]
    status:
      phase: Running
      podIP: %s
      conditions: [{type: Ready, status: "True"}]
    """
        .formatted(
            name,
            ns,
            name,
            meshed ? ", linkerd.io/control-plane-ns: portolan" : "",
            annotations,
            ports,
            ip);
  }

  static String svc(
      String ns, String name, String app, String ip, String ports, String annotations) {
    return """
    apiVersion: v1
    kind: Service
    metadata:
      name: %s
      namespace: %s
      annotations: {%s}
    spec:
      clusterIP: %s
      selector: {app: %s}
      ports: [%s]
    """
        .formatted(name, ns, annotations, ip, app, ports);
  }

  static String server(String ns, String name, String app, String port, String protocol) {
    return Yaml.server(ns, name, app, port, protocol);
  }

  static String docs(String... docs) {
    return Yaml.docs(docs);
  }
}
