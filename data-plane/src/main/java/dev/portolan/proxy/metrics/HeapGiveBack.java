package dev.portolan.proxy.metrics;

/**
 * Gives back the heap a burst grew, once what the burst held is garbage (docs/proxy.md, "Memory").
 * The image's collector (Serial) resizes the heap only at a full collection, and it grows the old
 * generation up to the maximum before it runs one: a burst whose objects live long enough to be
 * promoted and then die fills the heap to its maximum. Two bursts do that to a proxy: destinations
 * (a port scan, a client with thousands of backends: watches and series, evicted by discovery's
 * sweeps) and connections evicted from detection (a slowloris storm: every held connection outlives
 * a young collection). One explicit collection after a large eviction lets the collector shrink the
 * heap to its live set plus {@code MaxHeapFreeRatio}: at once with the image's {@code
 * -XX:-ShrinkHeapInSteps}, where by default Serial shrinks nothing at the first full collection.
 *
 * <p>Its owner calls {@link #swept} at a fixed period with what was evicted since the last call; it
 * collects at the call after the one that brought the evictions since the last collection to the
 * threshold: a period later, what the evictions released (cancelled streams, dropped series, closed
 * channels) is garbage. Under evictions that never stop it collects at most every other call.
 */
public final class HeapGiveBack {
  /**
   * A destination's watch and series cost a few KiB of heap; fewer than this many evicted leave too
   * little to give back to be worth a full collection, which stops the proxy (0.1-0.2 s for the 32
   * MiB heap on a loaded 2-core node).
   */
  public static final int AFTER_DESTINATIONS = 256;

  /**
   * A connection evicted from detection leaves about 2.5 KiB of promoted garbage (its channel,
   * pipeline, timers and addresses): one cap's worth (1,024 by default) is about 2.5 MiB.
   */
  public static final int AFTER_DETECTION_EVICTIONS = 1024;

  private final int after;
  private final Runnable collect;
  private long pending;

  /**
   * @param after how many evictions make a collection worth it
   * @param collect the full collection ({@code System::gc} in the proxy)
   */
  public HeapGiveBack(int after, Runnable collect) {
    if (after < 1) {
      throw new IllegalArgumentException("heap give-back threshold must be at least 1: " + after);
    }
    this.after = after;
    this.collect = collect;
  }

  /**
   * Records one period's evictions; collects when those of the periods before it reached the
   * threshold. Called by one thread at a time.
   *
   * @return whether it collected
   */
  public boolean swept(int evicted) {
    if (pending >= after) {
      pending = 0; // this sweep's evictions go in this collection too
      collect.run();
      return true;
    }
    pending += evicted;
    return false;
  }
}
