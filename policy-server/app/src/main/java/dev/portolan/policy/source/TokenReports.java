package dev.portolan.policy.source;

import dev.portolan.policy.model.Resource;
import dev.portolan.policy.model.TokenReport;
import dev.portolan.policy.resolve.AnnotationCheck;
import dev.portolan.policy.resolve.ClientText;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 *
 * <p>The log gets one line per object and set of problems, naming how many tokens were dropped and
 * the first few, escaped and cut ({@link ClientText}): an annotation of 20,000 bad tokens is one
 * line, and a newline in a token cannot start a line of its own.
 */
@Component
public class TokenReports {
  private static final Logger log = LoggerFactory.getLogger(TokenReports.class);
  private static final int EXAMPLES = 3;

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
    log.warn(
        "{}: {} invalid port token{} dropped (the valid ones apply): {}{}{}",
        r.key(),
        reports.size(),
        reports.size() == 1 ? "" : "s",
        examples(reports),
        reports.size() > EXAMPLES ? "; …" : "",
        explainPath(r));
    reported.increment(reports.size());
    for (Listener l : listeners) {
      l.invalidTokens(r, reports);
    }
  }

  private static String examples(List<TokenReport> reports) {
    StringBuilder out = new StringBuilder();
    for (TokenReport t : reports.subList(0, Math.min(EXAMPLES, reports.size()))) {
      if (!out.isEmpty()) {
        out.append("; ");
      }
      out.append(t.field())
          .append(" token ")
          .append(t.token().position())
          .append(" '")
          .append(ClientText.clip(t.token().token(), 64))
          .append("': ")
          .append(ClientText.clip(t.token().reason(), 128));
    }
    return out.toString();
  }

  private static String explainPath(Resource r) {
    return switch (r.kind()) {
      case POD, SERVICE ->
          "; explained at /actuator/opaqueports/"
              + r.namespace()
              + "/"
              + r.kind().name().toLowerCase(Locale.ROOT)
              + "/"
              + r.name();
      default -> "";
    };
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
