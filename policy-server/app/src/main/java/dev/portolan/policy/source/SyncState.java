package dev.portolan.policy.source;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.stereotype.Component;

/**
 * Which sources have delivered their initial state. Readiness (actuator and gRPC health) is DOWN
 * until every registered source has synced.
 */
@Component
public class SyncState {
  private final Map<String, Boolean> sources = new ConcurrentHashMap<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  public void register(String source) {
    sources.putIfAbsent(source, false);
  }

  public void markSynced(String source) {
    sources.put(source, true);
    listeners.forEach(Runnable::run);
  }

  public boolean allSynced() {
    return !sources.isEmpty() && !sources.containsValue(false);
  }

  public Map<String, Boolean> sources() {
    return Map.copyOf(sources);
  }

  public void onChange(Runnable listener) {
    listeners.add(listener);
  }
}
