package dev.portolan.policy.networkpolicy;

import dev.portolan.policy.index.ChangeSet;
import dev.portolan.policy.index.IndexObserver;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.resolve.Resolver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conflict report (docs/networkpolicy.md): where the NetworkPolicy-aware rewrite is withheld,
 * at the latest snapshot. Read by {@code /actuator/networkpolicy}, the gauge {@code
 * portolan_networkpolicy_conflicts} and Explain; after each batch that can change it, recomputed
 * off the index's writer thread and told to listeners (Warning Events in cluster mode), once per
 * policy and distinct explanation.
 *
 * <p>With {@code portolan.network-policy.rewrite=always} nothing is withheld, so nothing is
 * reported.
 */
public final class NetworkPolicyConflicts implements IndexObserver, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NetworkPolicyConflicts.class);

  /** Hears about the conflicts of one policy when they change. */
  public interface Listener {
    /**
     * @param message every conflict of the policy, explained; not empty
     */
    void conflicts(ObjectRef policy, String message);
  }

  private final Resolver resolver;
  private final boolean enabled;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> Thread.ofPlatform().daemon().name("portolan-netpol-conflicts").unstarted(r));
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile Snapshot latest = Snapshot.EMPTY;
  private volatile Report report = new Report(-1, List.of());
  // policy -> the message last told to listeners; only touched by the worker
  private final Map<ObjectRef, String> told = new HashMap<>();

  /** The conflicts at one snapshot version. */
  public record Report(long version, List<Conflict> conflicts) {
    public Report {
      conflicts = List.copyOf(conflicts);
    }
  }

  public NetworkPolicyConflicts(Resolver resolver, boolean enabled, MeterRegistry registry) {
    this.resolver = resolver;
    this.enabled = enabled;
    Gauge.builder("portolan.networkpolicy.conflicts", this, c -> c.report().conflicts().size())
        .description("Places where a NetworkPolicy makes Portolan withhold the rewrite to 4143")
        .register(registry);
  }

  public void addListener(Listener l) {
    listeners.add(l);
  }

  @Override
  public void snapshotPublished(Snapshot snapshot, ChangeSet changes) {
    latest = snapshot;
    if (!enabled || (snapshot.networkPolicies().isEmpty() && report.conflicts().isEmpty())) {
      return;
    }
    if (scheduled.compareAndSet(false, true)) {
      worker.execute(this::refresh);
    }
  }

  /** The report at the latest snapshot, computed now if it is older. */
  public Report report() {
    Snapshot s = latest;
    Report r = report;
    if (r.version() == s.version()) {
      return r;
    }
    synchronized (this) {
      r = report;
      if (r.version() != s.version()) {
        r = new Report(s.version(), enabled ? ConflictFinder.find(s, resolver) : List.of());
        if (r.version() > report.version()) {
          report = r;
        }
      }
      return r;
    }
  }

  /** The conflicts about {@code pod}'s workload, for Explain. */
  public List<Conflict> about(PodInfo pod) {
    ObjectRef workload = ConflictFinder.workload(pod);
    return report().conflicts().stream().filter(c -> c.server().equals(workload)).toList();
  }

  private void refresh() {
    scheduled.set(false);
    try {
      Map<ObjectRef, List<Conflict>> byPolicy = new LinkedHashMap<>();
      for (Conflict c : report().conflicts()) {
        byPolicy.computeIfAbsent(c.policy(), k -> new ArrayList<>()).add(c);
      }
      told.keySet().retainAll(byPolicy.keySet());
      byPolicy.forEach((policy, conflicts) -> {
        String message = conflicts.stream().map(Conflict::reason).collect(Collectors.joining(" "));
        if (!message.equals(told.put(policy, message))) {
          log.warn("NetworkPolicy conflict: {}", message);
          listeners.forEach(l -> l.conflicts(policy, message));
        }
      });
    } catch (RuntimeException e) {
      log.warn("cannot compute the NetworkPolicy conflicts", e);
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }
}
