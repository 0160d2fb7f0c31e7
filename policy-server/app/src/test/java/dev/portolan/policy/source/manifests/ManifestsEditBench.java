package dev.portolan.policy.source.manifests;

import dev.portolan.policy.ManifestDir;
import dev.portolan.policy.index.Index;
import dev.portolan.policy.model.MeshSettings;
import dev.portolan.policy.resolve.Resolver;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.SyncState;
import dev.portolan.policy.source.TokenReports;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * How long one edit takes to reach the index when the directory holds many pods. Run by hand (not a
 * test: it prints figures and asserts nothing), for example with the test classpath:
 *
 * <pre>
 * java -cp target/test-classes:target/classes:$(cat cp.txt) \
 *     dev.portolan.policy.source.manifests.ManifestsEditBench [pods] [files] [edits]
 * </pre>
 */
public final class ManifestsEditBench {
  private ManifestsEditBench() {}

  public static void main(String[] args) {
    int pods = args.length > 0 ? Integer.parseInt(args[0]) : 90_000;
    int files = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int edits = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int perFile = pods / files;
    ManifestDir dir = new ManifestDir("portolan-edit-bench");
    for (int f = 0; f < files; f++) {
      dir.write("ns-" + f + ".yaml", file(f, perFile, 0));
    }
    Index index = new Index(new Resolver(MeshSettings.defaults()));
    ClusterSink sink = new ClusterSink(index, new TokenReports(new SimpleMeterRegistry()));
    long t0 = System.nanoTime();
    try (ManifestsSource source =
        new ManifestsSource(dir.path(), Duration.ofMillis(20), sink, new SyncState())) {
      source.start();
      index.flush().join();
      System.out.printf(
          "initial load: %d pods in %d files, %d ms%n",
          pods, files, (System.nanoTime() - t0) / 1_000_000);
      long[] ms = new long[edits];
      for (int e = 1; e <= edits; e++) {
        int f = e % files;
        String ns = "ns-" + f;
        long start = System.nanoTime();
        // The edit renames the file's first pod; the old name goes, the new one comes.
        dir.write("ns-" + f + ".yaml", file(f, perFile, e));
        while (index.flush().join().pod(ns, "pod-" + f + "-0-e" + e) == null) {
          LockSupport.parkNanos(1_000_000);
        }
        ms[e - 1] = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("edit %d: %d ms%n", e, ms[e - 1]);
      }
      Arrays.sort(ms);
      System.out.printf(
          "per edit with %d pods: median %d ms, max %d ms (includes the 20 ms quiet period)%n",
          pods, ms[ms.length / 2], ms[ms.length - 1]);
    } finally {
      index.close();
    }
  }

  private static String file(int f, int perFile, int edit) {
    StringBuilder b = new StringBuilder();
    String ns = "ns-" + f;
    b.append("apiVersion: v1\nkind: Namespace\nmetadata: {name: ").append(ns).append("}\n");
    for (int p = 0; p < perFile; p++) {
      int id = f * perFile + p;
      String name = "pod-" + f + "-" + p + (p == 0 && edit > 0 ? "-e" + edit : "");
      b.append(
          """
          ---
          apiVersion: v1
          kind: Pod
          metadata:
            name: %s
            namespace: %s
            labels: {app: app-%d, linkerd.io/control-plane-ns: portolan}
          spec:
            serviceAccountName: app-%d
            containers:
              - name: app
                ports: [{name: http, containerPort: 8080}]
              - name: portolan-proxy
          status:
            phase: Running
            podIP: 10.%d.%d.%d
            conditions: [{type: Ready, status: "True"}]
          """
              .formatted(name, ns, p % 50, p % 50, 64 + id / 62_500, id / 250 % 250, id % 250 + 1));
    }
    return b.toString();
  }
}
