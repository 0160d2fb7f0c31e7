package dev.portolan.policy.events;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Events sink of the manifests source: keeps the Events Portolan would have written to
 * Kubernetes, first of each name only (as the API server's 409 would), and logs each at WARN once.
 * Bounded: past {@link #LIMIT} the oldest are forgotten, as Kubernetes expires old Events.
 */
public final class RecordedEvents implements EventSink {
  private static final Logger log = LoggerFactory.getLogger(RecordedEvents.class);

  /**
   * Most Events kept; a problem is one Event per object and distinct problem, so few in practice.
   */
  static final int LIMIT = 1000;

  // name -> event, in the order recorded; guarded by this
  private final Map<String, WarningEvent> byName = new LinkedHashMap<>();

  @Override
  public void record(WarningEvent event) {
    synchronized (this) {
      if (byName.putIfAbsent(event.name(), event) != null) {
        return;
      }
      if (byName.size() > LIMIT) {
        var oldest = byName.keySet().iterator();
        oldest.next();
        oldest.remove();
      }
    }
    WarningEvent.InvolvedObject o = event.involvedObject();
    log.warn(
        "Event {} {} on {} {}{}: {}",
        event.type(),
        event.reason(),
        o.kind(),
        o.namespace() == null ? "" : o.namespace() + "/",
        o.name(),
        event.message());
  }

  /** Every Event kept, oldest first. */
  public synchronized List<WarningEvent> list() {
    return List.copyOf(new ArrayList<>(byName.values()));
  }
}
