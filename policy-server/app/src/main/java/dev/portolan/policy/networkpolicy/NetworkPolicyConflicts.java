package dev.portolan.policy.networkpolicy;

import dev.portolan.policy.index.ChangeSet;
import dev.portolan.policy.index.IndexObserver;
import dev.portolan.policy.index.Snapshot;
import dev.portolan.policy.model.NetworkPolicyInfo;
import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.PodInfo;
import dev.portolan.policy.resolve.Resolver;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conflict report (docs/networkpolicy.md): where the NetworkPolicy-aware rewrite is withheld.
 * Computed on a thread of its own, never on the index's writer nor on a reader's thread, and told
 * to listeners (Warning Events in cluster mode) once per policy and distinct explanation.
 *
 * <p>Why the computation waits: it walks every meshed server Pod against every client class, which
 * on two cores competes with the streams taking the very change that caused it. So after a batch it
 * waits until the index has been quiet for {@code settle}, or {@code maxDelay} after the first
 * batch it has not computed, whichever comes first, and then computes the latest snapshot only (the
 * batches in between coalesce: only the newest state is reported).
 *
 * <p>{@link #report()} (and the gauge {@code portolan_networkpolicy_conflicts}) read the last
 * computed report; {@link #current} (the actuator endpoint, Explain) asks the thread to compute now
 * and waits for it, so a person reading the report sees the latest state.
 *
 * <p>With {@code portolan.network-policy.rewrite=always} nothing is withheld, so nothing is
 * reported.
 */
public final class NetworkPolicyConflicts implements IndexObserver, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NetworkPolicyConflicts.class);

  /** How long {@link #about} (Explain) waits for a report at the latest snapshot. */
  private static final Duration EXPLAIN_WAIT = Duration.ofSeconds(2);

  /** Hears about the conflicts of one policy when they change. */
  public interface Listener {
    /**
     * @param message every conflict of the policy, explained; not empty
     */
    void conflicts(ObjectRef policy, String message);
  }

  private final Resolver resolver;
  private final boolean enabled;
  private final long settleNanos;
  private final long maxDelayNanos;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledThreadPoolExecutor worker;
  // Whether a tick is pending; set by whoever schedules it, cleared by the tick that computes.
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile boolean urgent;
  private volatile long firstPendingNanos;
  private volatile long lastPublishedNanos;
  private volatile Snapshot latest = Snapshot.EMPTY;
  // Written only by the worker; waiters of current() wait on this object's monitor.
  private volatile Report report = new Report(-1, List.of());
  // policy -> the message last told to listeners; only touched by the worker
  private final Map<ObjectRef, String> told = new HashMap<>();

  /** The conflicts at one snapshot version. */
  public record Report(long version, List<Conflict> conflicts) {
    public Report {
      conflicts = List.copyOf(conflicts);
    }
  }

  /** With the defaults of {@link NetworkPolicyProperties}. */
  public NetworkPolicyConflicts(Resolver resolver, boolean enabled, MeterRegistry registry) {
    this(
        resolver,
        enabled,
        registry,
        NetworkPolicyProperties.DEFAULT_SETTLE,
        NetworkPolicyProperties.DEFAULT_MAX_DELAY);
  }

  /**
   * @param settle how long the index must be quiet before the report is computed
   * @param maxDelay the longest a batch waits to be reported while changes keep coming
   */
  public NetworkPolicyConflicts(
      Resolver resolver,
      boolean enabled,
      MeterRegistry registry,
      Duration settle,
      Duration maxDelay) {
    this.resolver = resolver;
    this.enabled = enabled;
    this.maxDelayNanos = maxDelay.toNanos();
    this.settleNanos = Math.min(settle.toNanos(), maxDelayNanos);
    this.worker =
        new ScheduledThreadPoolExecutor(
            1, r -> Thread.ofPlatform().daemon().name("portolan-netpol-conflicts").unstarted(r));
    worker.setRemoveOnCancelPolicy(true);
    Gauge.builder("portolan.networkpolicy.conflicts", this, c -> c.report().conflicts().size())
        .description("Places where a NetworkPolicy makes Portolan withhold the rewrite to 4143")
        .register(registry);
  }

  public void addListener(Listener l) {
    listeners.add(l);
  }

  /** On the index's writer thread: only notes the snapshot and arms the worker. */
  @Override
  public void snapshotPublished(Snapshot snapshot, ChangeSet changes) {
    latest = snapshot;
    if (!enabled) {
      return;
    }
    long now = System.nanoTime();
    lastPublishedNanos = now;
    if (scheduled.compareAndSet(false, true)) {
      firstPendingNanos = now;
      schedule(settleNanos);
    }
  }

  /** The last computed report: never computes, so a scrape costs nothing. */
  public Report report() {
    return report;
  }

  /**
   * The report at the snapshot that is the latest now: computed at once on the report's thread if
   * it is not yet, waiting at most {@code timeout} for it (then the last computed one).
   */
  public Report current(Duration timeout) throws InterruptedException {
    if (!enabled) {
      return new Report(latest.version(), List.of());
    }
    long target = latest.version();
    Report r = report;
    if (r.version() >= target) {
      return r;
    }
    urgent = true;
    try {
      worker.execute(this::tick);
    } catch (RejectedExecutionException e) {
      return report; // closing
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while ((r = report).version() < target) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
    return r;
  }

  /** The conflicts about {@code pod}'s workload, for Explain (at the latest snapshot). */
  public List<Conflict> about(PodInfo pod) {
    ObjectRef workload = ConflictFinder.workload(pod);
    Report r;
    try {
      r = current(EXPLAIN_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      r = report;
    }
    return r.conflicts().stream().filter(c -> c.server().equals(workload)).toList();
  }

  /**
   * The policy {@code ns/name} in the latest snapshot: its trimmed spec, which the manifests
   * source's Events use as the policy's generation (files carry no {@code metadata.generation}).
   */
  public Optional<NetworkPolicyInfo> policy(String ns, String name) {
    for (NetworkPolicyInfo p : latest.networkPolicies().all()) {
      if (p.namespace().equals(ns) && p.name().equals(name)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private void schedule(long delayNanos) {
    try {
      worker.schedule(this::tick, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      scheduled.set(false); // closing
    }
  }

  /** On the worker: computes when the index has settled, waited long enough, or someone asks. */
  private void tick() {
    if (!urgent && scheduled.get()) {
      long now = System.nanoTime();
      long quiet = now - lastPublishedNanos;
      long waited = now - firstPendingNanos;
      if (quiet < settleNanos && waited < maxDelayNanos) {
        schedule(Math.min(settleNanos - quiet, maxDelayNanos - waited));
        return;
      }
    }
    urgent = false;
    // Cleared before reading the snapshot: one published after this arms a tick of its own.
    scheduled.set(false);
    Snapshot s = latest;
    if (report.version() >= s.version()) {
      return;
    }
    Report r;
    try {
      r = new Report(s.version(), ConflictFinder.find(s, resolver));
    } catch (RuntimeException e) {
      log.warn("cannot compute the NetworkPolicy conflicts", e);
      r = new Report(s.version(), report.conflicts());
    }
    synchronized (this) {
      report = r;
      notifyAll();
    }
    tell(r);
  }

  private void tell(Report r) {
    try {
      Map<ObjectRef, List<Conflict>> byPolicy = new LinkedHashMap<>();
      for (Conflict c : r.conflicts()) {
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
      log.warn("cannot tell the NetworkPolicy conflicts", e);
    }
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }
}
