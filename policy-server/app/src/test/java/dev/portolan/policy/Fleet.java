package dev.portolan.policy;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.NamespaceInfo;
import dev.portolan.policy.model.OwnerRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.ServiceInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Large Services as a source would hand them to the index: one Service selecting {@code n} ready,
 * meshed Pods of one Deployment, each with an HTTP port and an opaque database port.
 */
public final class Fleet {
  private Fleet() {}

  /** The Namespace, the Service (ports 80 → http, 5432 → db) and its Pods. */
  public static List<Change> service(String ns, String name, int pods, int ipBlock) {
    List<Change> out = new ArrayList<>();
    out.add(new Change.Upsert(new NamespaceInfo(ns, Map.of(), Map.of())));
    out.add(
        new Change.Upsert(
            new ServiceInfo(
                ns,
                name,
                Map.of(),
                Map.of("app", name),
                List.of(
                    new ServiceInfo.ServicePort("http", 80, "http", null, "TCP"),
                    new ServiceInfo.ServicePort("db", 5432, "db", null, "TCP")),
                List.of(ip(96, ipBlock)),
                null)));
    for (int i = 0; i < pods; i++) {
      out.add(new Change.Upsert(pod(ns, name, i, ip(ipBlock, i), name)));
    }
    return out;
  }

  public static PodInfo pod(String ns, String app, int i, String ip, String serviceAccount) {
    return new PodInfo(
        ns,
        app + "-7d9f8b6c5-" + i,
        Map.of("app", app, "pod-template-hash", "7d9f8b6c5", "linkerd.io/control-plane-ns", "p"),
        Map.of(),
        List.of(new ContainerPort("http", 8080, "TCP"), new ContainerPort("db", 5432, "TCP")),
        serviceAccount,
        List.of(ip),
        "192.0.2.1",
        "node-1",
        "Running",
        true,
        true,
        null,
        new OwnerRef("ReplicaSet", app + "-7d9f8b6c5"));
  }

  /** 10.{block}.x.y, distinct for n below 62,500. */
  public static String ip(int block, int n) {
    return "10." + block + "." + (n / 250) + "." + (n % 250 + 1);
  }

  /** The context token a proxy in {@code ns} named {@code pod} sends. */
  public static String token(String ns, String pod) {
    return "{\"ns\":\"" + ns + "\",\"nodeName\":\"node-1\",\"pod\":\"" + pod + "\"}\n";
  }
}
