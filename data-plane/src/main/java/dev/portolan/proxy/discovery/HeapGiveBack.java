package dev.portolan.proxy.discovery;

/**
 * Gives back the heap a burst of destinations grew, once the sweeps have evicted them
 * (docs/proxy.md, "Memory"). The image's collector (Serial) resizes the heap only at a full
 * collection: a burst (a port scan, a client with thousands of backends) fills the heap with
 * watches and series and grows it to its maximum; evicted, they are garbage in the old generation,
 * which nothing fills any more, so no full collection comes and the heap stays committed at the
 * maximum for good. One explicit collection after a large eviction lets the collector shrink the
 * heap to its live set plus {@code MaxHeapFreeRatio}: at once with the image's {@code
 * -XX:-ShrinkHeapInSteps}, where by default Serial shrinks nothing at the first full collection.
 *
 * <p>It collects at the sweep after the one that brought the evictions since the last collection to
 * the threshold: a sweep period later, what the evictions released (cancelled streams, dropped
 * series) is garbage, and a scan's metric series, which may go one sweep after its watches, are
 * gone too. Under a scan that never stops it collects at most every other sweep.
 */
final class HeapGiveBack {
  /**
   * A destination's watch and series cost a few KiB of heap; fewer than this many evicted leave too
   * little to give back to be worth a full collection, which stops the proxy (0.1-0.2 s for the 32
   * MiB heap on a loaded 2-core node).
   */
  static final int AFTER = 256;

  private final int after;
  private final Runnable collect;
  private long pending;

  /**
   * @param after how many evictions make a collection worth it
   * @param collect the full collection ({@code System::gc} in the proxy)
   */
  HeapGiveBack(int after, Runnable collect) {
    if (after < 1) {
      throw new IllegalArgumentException("heap give-back threshold must be at least 1: " + after);
    }
    this.after = after;
    this.collect = collect;
  }

  /**
   * Records one sweep's evictions (watches and metric targets); collects when those of the sweeps
   * before it reached the threshold.
   *
   * @return whether it collected
   */
  boolean swept(int evicted) {
    if (pending >= after) {
      pending = 0; // this sweep's evictions go in this collection too
      collect.run();
      return true;
    }
    pending += evicted;
    return false;
  }
}
