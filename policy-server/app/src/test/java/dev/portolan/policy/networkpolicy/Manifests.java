package dev.portolan.policy.networkpolicy;

/** The Redis shape as manifests: a Redis Pod and Service, clients, and the chart's policy. */
final class Manifests {
  private Manifests() {}

  static String namespace(String ns) {
    return """
    apiVersion: v1
    kind: Namespace
    metadata:
      name: %s
      annotations: {config.linkerd.io/opaque-ports: "6379"}
    """
        .formatted(ns);
  }

  static String pod(String ns, String name, String app, String ip) {
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
          ports: [{name: redis, containerPort: 6379}]
        - name: portolan-proxy
    status:
      phase: Running
      podIP: %s
      hostIP: 192.0.2.1
      conditions: [{type: Ready, status: "True"}]
    """
        .formatted(name, ns, app, app, ip);
  }

  static String redisService(String ns, String clusterIp) {
    return """
    apiVersion: v1
    kind: Service
    metadata:
      name: redis
      namespace: %s
    spec:
      clusterIP: %s
      selector: {app: redis}
      ports: [{name: redis, port: 6379, targetPort: 6379}]
    """
        .formatted(ns, clusterIp);
  }

  /** As the Redis chart writes it: only clients labelled app=client, only on 6379. */
  static String redisPolicy(String ns) {
    return """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: redis
      namespace: %s
    spec:
      podSelector:
        matchLabels: {app: redis}
      policyTypes: [Ingress]
      ingress:
        - from:
            - podSelector:
                matchLabels: {app: client}
          ports:
            - port: 6379
    """
        .formatted(ns);
  }

  /** The client's own egress: 6379 to Redis, nothing else. */
  static String clientEgress(String ns) {
    return """
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata:
      name: client-egress
      namespace: %s
    spec:
      podSelector:
        matchLabels: {app: client}
      policyTypes: [Egress]
      egress:
        - to:
            - podSelector:
                matchLabels: {app: redis}
          ports:
            - {protocol: TCP, port: 6379}
    """
        .formatted(ns);
  }
}
