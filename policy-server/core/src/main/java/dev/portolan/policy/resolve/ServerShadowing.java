package dev.portolan.policy.resolve;

import dev.portolan.policy.model.ContainerPort;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.model.ServerInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which Servers of a namespace lose to an older Server on some (pod, port) they both select
 * (inbound rule 2 of docs/design/sources-and-precedence.md), so that users can be told. Pure; one
 * pass over the namespace's Pods.
 */
public final class ServerShadowing {
  private ServerShadowing() {}

  /** One shadowed Server: who wins over it, and one example of where. */
  public record Shadowed(ObjectRef server, ObjectRef winner, ObjectRef pod, int port) {}

  public static List<Shadowed> find(ClusterView view, String namespace) {
    List<ServerInfo> servers = new ArrayList<>(view.servers(namespace));
    if (servers.size() < 2) {
      return List.of();
    }
    servers.sort(InboundResolver.SERVER_ORDER);
    Map<String, Shadowed> out = new TreeMap<>();
    for (PodInfo pod : view.pods(namespace)) {
      Set<Integer> ports = new HashSet<>();
      for (ContainerPort cp : pod.ports()) {
        ports.add(cp.port());
      }
      for (ServerInfo s : servers) {
        try {
          ports.add(Integer.parseInt(s.port()));
        } catch (NumberFormatException ignored) {
          // a named port resolves through the container ports already collected
        }
      }
      for (int port : ports) {
        ServerInfo winner = null;
        for (ServerInfo s : servers) {
          if (!s.selects(pod, port)) {
            continue;
          }
          if (winner == null) {
            winner = s;
          } else {
            out.putIfAbsent(s.name(), new Shadowed(s.ref(), winner.ref(), pod.ref(), port));
          }
        }
      }
    }
    return List.copyOf(out.values());
  }
}
