package dev.portolan.policy.index;

/** Callbacks for metrics; every method has a no-op default. Called on the writer thread. */
public interface IndexObserver {
  IndexObserver NONE = new IndexObserver() {};

  default void batchApplied(int changes, int topicsRecomputed, int topicsChanged, long nanos) {}

  /** A new snapshot is visible; {@code changes} says what the batch touched. */
  default void snapshotPublished(Snapshot snapshot, ChangeSet changes) {}

  /** Both observers, in order. */
  static IndexObserver compose(IndexObserver a, IndexObserver b) {
    return new IndexObserver() {
      @Override
      public void batchApplied(int changes, int recomputed, int changed, long nanos) {
        a.batchApplied(changes, recomputed, changed, nanos);
        b.batchApplied(changes, recomputed, changed, nanos);
      }

      @Override
      public void snapshotPublished(Snapshot snapshot, ChangeSet changes) {
        a.snapshotPublished(snapshot, changes);
        b.snapshotPublished(snapshot, changes);
      }
    };
  }
}
