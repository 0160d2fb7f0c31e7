package dev.portolan.policy.source;

import dev.portolan.policy.index.ChangeSet;
import dev.portolan.policy.index.IndexObserver;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.resolve.ServerShadowing;
import dev.portolan.policy.resolve.ServerShadowing.Shadowed;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Finds Servers shadowed by an older Server after each batch, in the namespaces it touched, and
 * reports each once (log, listeners such as Kubernetes Events) until it stops being shadowed.
 */
@Component
public class ShadowedServers implements IndexObserver {
  private static final Logger log = LoggerFactory.getLogger(ShadowedServers.class);

  /** Hears about a Server that became shadowed. */
  public interface Listener {
    void shadowed(Shadowed s);
  }

  // namespace -> shadowed Server names reported; touched only on the index writer thread.
  private final Map<String, Set<String>> reported = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  public void addListener(Listener l) {
    listeners.add(l);
  }

  @Override
  public void snapshotPublished(Snapshot snapshot, ChangeSet changes) {
    for (String ns : changes.namespaces()) {
      List<Shadowed> now = ServerShadowing.find(snapshot, ns);
      Set<String> names = new HashSet<>();
      Set<String> before = reported.getOrDefault(ns, Set.of());
      for (Shadowed s : now) {
        names.add(s.server().name());
        if (!before.contains(s.server().name())) {
          log.warn(
              "{} is shadowed by the older {} (e.g. on {} port {}): it does not apply there",
              s.server(),
              s.winner(),
              s.pod(),
              s.port());
          listeners.forEach(l -> l.shadowed(s));
        }
      }
      if (names.isEmpty()) {
        reported.remove(ns);
      } else {
        reported.put(ns, names);
      }
    }
  }

  public List<String> current(String namespace) {
    return List.copyOf(reported.getOrDefault(namespace, Set.of()));
  }
}
