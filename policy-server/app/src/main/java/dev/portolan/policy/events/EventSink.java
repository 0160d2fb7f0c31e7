package dev.portolan.policy.events;

/**
 * Where Warning Events go: the API server in cluster mode, memory with the manifests source. Called
 * on the recorder's own thread, never on the index's writer.
 */
public interface EventSink {
  /** Records {@code event} unless one of the same name is already recorded. */
  void record(WarningEvent event);
}
