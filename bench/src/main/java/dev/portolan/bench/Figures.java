package dev.portolan.bench;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/** Prints what a run measured and where it ran. */
final class Figures {
  private Figures() {}

  static void machine() {
    Runtime rt = Runtime.getRuntime();
    System.out.printf(
        "machine: %d cores, max heap %d MiB, %s %s, %s %s; at start %s%n",
        rt.availableProcessors(),
        rt.maxMemory() >> 20,
        System.getProperty("java.vm.name"),
        System.getProperty("java.version"),
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        ServerCost.context());
  }

  static Histogram histogram() {
    return new Histogram(TimeUnit.SECONDS.toNanos(30), 3);
  }

  static void latency(String what, Histogram h, double targetP99Ms) {
    double p50 = h.getValueAtPercentile(50) / 1e6;
    double p99 = h.getValueAtPercentile(99) / 1e6;
    double max = h.getMaxValue() / 1e6;
    System.out.printf(
        "%s: rounds=%d p50=%.2f ms p99=%.2f ms max=%.2f ms (target p99 <= %.0f ms: %s)%n",
        what, h.getTotalCount(), p50, p99, max, targetP99Ms, p99 <= targetP99Ms ? "MET" : "MISSED");
  }

  static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
