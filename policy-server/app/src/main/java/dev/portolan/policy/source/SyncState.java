package dev.portolan.policy.source;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Which sources have delivered their initial state, and what is wrong with each now. Readiness
 * (actuator and gRPC health) is DOWN until every registered source has synced. A problem (say, a
 * manifest file that fails to load) does not change readiness: the server still serves everything
 * else and the last good state, so it shows in health details instead.
 */
@Component
public class SyncState {
  private final Map<String, Boolean> sources = new ConcurrentHashMap<>();
  private final Map<String, String> problems = new ConcurrentHashMap<>();
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

  /** Sets (or, with null, clears) a one-line description of what is wrong with a source. */
  public void setProblem(String source, @Nullable String problem) {
    if (problem == null) {
      problems.remove(source);
    } else {
      problems.put(source, problem);
    }
  }

  public Map<String, String> problems() {
    return Map.copyOf(problems);
  }

  public void onChange(Runnable listener) {
    listeners.add(listener);
  }
}
