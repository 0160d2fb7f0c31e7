package dev.portolan.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;

/** Generates a manifests directory of a realistic cluster: namespaces, pods, services, Servers. */
final class Manifests {
  private Manifests() {}

  static Path empty() {
    try {
      return Files.createTempDirectory("portolan-bench-empty");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code pods} Pods behind {@code services} Services over {@code namespaces} namespaces. */
  static Path cluster(int namespaces, int services, int pods) {
    try {
      Path dir = Files.createTempDirectory("portolan-bench-cluster");
      int podsPerService = pods / services;
      for (int n = 0; n < namespaces; n++) {
        try (Writer w = Files.newBufferedWriter(dir.resolve("ns-" + n + ".yaml"))) {
          String ns = "ns-" + n;
          w.write("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns + "\n");
          if (n % 10 == 0) {
            w.write("  annotations: {config.linkerd.io/opaque-ports: \"2525\"}\n");
          }
          for (int s = n; s < services; s += namespaces) {
            String app = "svc-" + s;
            w.write(
                "---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec:\n  clusterIP: %s\n  selector: {app: %s}\n  ports: [{name: http, port: 80, targetPort: http}, {name: db, port: 5432, targetPort: db}]\n"
                    .formatted(app, ns, ip(96, s), app));
            if (s % 20 == 0) {
              w.write(
                  "---\napiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: %s-db, namespace: %s}\nspec:\n  podSelector: {matchLabels: {app: %s}}\n  port: db\n  proxyProtocol: opaque\n"
                      .formatted(app, ns, app));
            }
            for (int p = 0; p < podsPerService; p++) {
              int id = s * podsPerService + p;
              w.write(
                  """
                  ---
                  apiVersion: v1
                  kind: Pod
                  metadata:
                    name: %s-%d
                    namespace: %s
                    labels: {app: %s, pod-template-hash: abc12, linkerd.io/control-plane-ns: portolan}
                    annotations: {config.linkerd.io/skip-outbound-ports: "9999"}
                    ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: %s-abc12, uid: u%d, controller: true}]
                  spec:
                    serviceAccountName: %s
                    nodeName: node-%d
                    containers:
                      - name: app
                        ports: [{name: http, containerPort: 8080}, {name: db, containerPort: 5432}]
                      - name: portolan-proxy
                        env: [{name: PORTOLAN_PROXY_INBOUND_LISTEN_ADDR, value: "0.0.0.0:4143"}]
                  status:
                    phase: Running
                    podIP: %s
                    hostIP: 192.0.2.%d
                    conditions: [{type: Ready, status: "True"}]
                  """
                      .formatted(app, p, ns, app, app, id, app, id % 50, ip(42, id), id % 50 + 1));
            }
          }
        }
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** 10.{b}.x.y, unique for n < 65,000. */
  static String ip(int b, int n) {
    return "10." + b + "." + (n / 250) + "." + (n % 250 + 1);
  }
}
