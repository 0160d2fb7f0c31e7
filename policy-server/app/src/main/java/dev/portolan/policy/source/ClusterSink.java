package dev.portolan.policy.source;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.index.Index;
import java.util.List;
import org.springframework.stereotype.Component;

/** Where every source sends its changes: reports invalid tokens, then feeds the index. */
@Component
public class ClusterSink {
  private final Index index;
  private final TokenReports reports;

  public ClusterSink(Index index, TokenReports reports) {
    this.index = index;
    this.reports = reports;
  }

  public void apply(List<Change> changes) {
    for (Change c : changes) {
      switch (c) {
        case Change.Upsert u -> reports.check(u.resource());
        case Change.Delete d -> reports.forget(d.key());
      }
    }
    index.submit(changes);
  }
}
