package dev.portolan.policy.source;

import dev.portolan.policy.model.Resource;
import dev.portolan.policy.model.TokenReport;
import dev.portolan.policy.resolve.AnnotationCheck;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Invalid annotation tokens of the objects now in the cluster. Each distinct set of problems of an
 * object is logged and counted once (not on every resync or reload), and listeners (the Kubernetes
 * Event writer in cluster mode) hear about it once.
 */
@Component
public class TokenReports {
  private static final Logger log = LoggerFactory.getLogger(TokenReports.class);

  /** Hears about an object's new set of invalid tokens. */
  public interface Listener {
    void invalidTokens(Resource resource, List<TokenReport> reports);
  }

  private final Map<Resource.Key, List<TokenReport>> current = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Counter reported;

  public TokenReports(MeterRegistry registry) {
    this.reported =
        Counter.builder("portolan.invalid.tokens.reported")
            .description("Invalid port-list tokens found in annotations (each counted once)")
            .register(registry);
    registry.gauge(
        "portolan.invalid.tokens", current, c -> c.values().stream().mapToInt(List::size).sum());
  }

  public void addListener(Listener l) {
    listeners.add(l);
  }

  /** Checks an object that appeared or changed. */
  public void check(Resource r) {
    List<TokenReport> reports = AnnotationCheck.check(r);
    List<TokenReport> before =
        reports.isEmpty() ? current.remove(r.key()) : current.put(r.key(), reports);
    if (reports.isEmpty() || reports.equals(before)) {
      return;
    }
    for (TokenReport t : reports) {
      log.warn("invalid port token dropped (the valid ones apply): {}", t);
    }
    reported.increment(reports.size());
    for (Listener l : listeners) {
      l.invalidTokens(r, reports);
    }
  }

  public void forget(Resource.Key key) {
    current.remove(key);
  }

  public List<TokenReport> all() {
    List<TokenReport> out = new ArrayList<>();
    current.values().forEach(out::addAll);
    return out;
  }
}
