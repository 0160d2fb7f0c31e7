package dev.portolan.bench;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.stream.Collectors;

/**
 * What the server's JVM (the benchmark's own: the client fleet runs in another) spent over the
 * measured rounds: CPU time and bytes allocated, per round. Unlike wall-clock latency these do not
 * depend on what else the machine runs, so two scenarios can be compared on a loaded machine.
 */
record ServerCost(long cpuNanos, long allocatedBytes, long wallNanos) {

  static ServerCost now() {
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    return new ServerCost(
        os.getProcessCpuTime(), threads.getTotalThreadAllocatedBytes(), System.nanoTime());
  }

  /** Prints the cost per round since {@code start}, with the load and the GC it ran with. */
  static void print(String what, ServerCost start, int rounds) {
    ServerCost end = now();
    double cpuMs = (end.cpuNanos - start.cpuNanos) / 1e6 / rounds;
    double allocKiB = (end.allocatedBytes - start.allocatedBytes) / 1024.0 / rounds;
    System.out.printf(
        "%s: server CPU %.2f ms per round, allocated %.0f KiB per round (%d rounds); %s%n",
        what, cpuMs, allocKiB, rounds, context());
  }

  /** Cores, load average, GC: what a figure was measured with. */
  static String context() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    String gc =
        ManagementFactory.getGarbageCollectorMXBeans().stream()
            .map(GarbageCollectorMXBean::getName)
            .collect(Collectors.joining("+"));
    return String.format(
        "%d cores, load %.2f, GC %s", os.getAvailableProcessors(), os.getSystemLoadAverage(), gc);
  }
}
