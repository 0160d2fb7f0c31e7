package dev.portolan.policy.web;

import dev.portolan.policy.source.SyncState;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * DOWN until every source has delivered its initial state (readiness group includes it). Problems a
 * source reports later (a manifest file that fails, a watcher restarting) are shown under {@code
 * problems} but keep it UP: the server still serves, and taking it out of rotation for one bad file
 * would turn a user's typo into an outage. See docs/operations.md, "Manifests source".
 */
@Component("sources")
public class SourceHealthIndicator implements HealthIndicator {
  private final SyncState sync;

  public SourceHealthIndicator(SyncState sync) {
    this.sync = sync;
  }

  @Override
  public Health health() {
    Health.Builder health = sync.allSynced() ? Health.up() : Health.down();
    health.withDetails(sync.sources());
    var problems = sync.problems();
    if (!problems.isEmpty()) {
      health.withDetail("problems", problems);
    }
    return health.build();
  }
}
