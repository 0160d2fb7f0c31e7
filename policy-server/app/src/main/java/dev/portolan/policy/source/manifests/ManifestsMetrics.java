package dev.portolan.policy.source.manifests;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/** The manifests source's figures as metrics (nothing is bound in cluster mode). */
@Component
class ManifestsMetrics implements MeterBinder {
  private final ObjectProvider<ManifestsSource> source;

  ManifestsMetrics(ObjectProvider<ManifestsSource> source) {
    this.source = source;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    ManifestsSource s = source.getIfAvailable();
    if (s == null) {
      return;
    }
    Gauge.builder("portolan.manifests.failed.files", s, m -> m.errors().size())
        .description("Manifest files (and links) not loaded now; each keeps its last good content")
        .register(registry);
    FunctionCounter.builder(
            "portolan.manifests.watcher.restarts", s, m -> m.stats().watcherRestarts())
        .description("Times the manifests watcher failed and was restarted")
        .register(registry);
    FunctionCounter.builder("portolan.manifests.files.parsed", s, m -> m.stats().filesParsed())
        .description("Manifest files parsed (only files whose content changed are)")
        .register(registry);
  }
}
