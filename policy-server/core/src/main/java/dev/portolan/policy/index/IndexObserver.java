package dev.portolan.policy.index;

/** Callbacks for metrics; every method has a no-op default. Called on the writer thread. */
public interface IndexObserver {
  IndexObserver NONE = new IndexObserver() {};

  default void batchApplied(int changes, int topicsRecomputed, int topicsChanged, long nanos) {}

  default void snapshotPublished(Snapshot snapshot) {}
}
