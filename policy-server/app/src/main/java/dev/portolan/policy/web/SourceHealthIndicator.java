package dev.portolan.policy.web;

import dev.portolan.policy.source.SyncState;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** DOWN until every source has delivered its initial state (readiness group includes it). */
@Component("sources")
public class SourceHealthIndicator implements HealthIndicator {
  private final SyncState sync;

  public SourceHealthIndicator(SyncState sync) {
    this.sync = sync;
  }

  @Override
  public Health health() {
    return (sync.allSynced() ? Health.up() : Health.down()).withDetails(sync.sources()).build();
  }
}
