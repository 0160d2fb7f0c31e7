package dev.portolan.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What {@code /proc} says of a process under load: memory ({@code status}) and CPU ({@code stat}).
 */
final class ProcFigures {
  private ProcFigures() {}

  /** Samples a process's VmRSS every 200 ms on a daemon thread until stopped. */
  static final class RssSampler {
    private final List<Long> samples = Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;

    RssSampler(long pid) {
      thread =
          Thread.ofPlatform()
              .daemon()
              .start(() -> {
                try {
                  while (!Thread.currentThread().isInterrupted()) {
                    samples.add(Long.parseLong(status(pid, "VmRSS").split("\\s+")[0]));
                    Thread.sleep(200);
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } catch (Exception e) {
                  // the process ended: keep what was sampled
                }
              });
    }

    void stop() throws InterruptedException {
      thread.interrupt();
      thread.join();
    }

    long max() {
      return samples.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    long median() {
      long[] sorted = samples.stream().mapToLong(Long::longValue).sorted().toArray();
      return sorted.length == 0 ? 0 : sorted[sorted.length / 2];
    }
  }

  static long cpuTicks(long pid) throws Exception {
    long[] t = userSysTicks(pid);
    return t[0] + t[1];
  }

  /** User and system CPU time of a process so far, in clock ticks (10 ms here). */
  static long[] userSysTicks(long pid) throws Exception {
    String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
    return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])}; // utime, stime
  }

  /**
   * The whole machine's CPU time so far, in clock ticks summed over cores: user (with nice),
   * system, interrupts (hard and soft), idle (with iowait: a thread waiting in {@code
   * io_uring_enter} counts as waiting for I/O), steal. Softirq time (the network stack's receive
   * side) is charged to no process here, so a path's cost is only whole when this is counted too.
   */
  static long[] machineTicks() throws Exception {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long user = Long.parseLong(f[1]) + Long.parseLong(f[2]);
    long irq = Long.parseLong(f[6]) + Long.parseLong(f[7]);
    long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
    return new long[] {user, Long.parseLong(f[3]), irq, idle, Long.parseLong(f[8])};
  }

  /**
   * Context switches of all a process's threads so far: voluntary (the thread blocked: a wait for
   * I/O ended its turn) and involuntary (preempted).
   */
  static long[] contextSwitches(long pid) throws Exception {
    long[] sum = new long[2];
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks.toList()) {
        try {
          for (String line : Files.readAllLines(task.resolve("status"))) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
              sum[0] += Long.parseLong(line.split("\\s+")[1]);
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
              sum[1] += Long.parseLong(line.split("\\s+")[1]);
            }
          }
        } catch (java.io.IOException e) {
          // the thread ended between the listing and the read
        }
      }
    }
    return sum;
  }

  static String status(long pid, String key) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith(key + ":")) {
        return line.substring(key.length() + 1).strip();
      }
    }
    return "?";
  }
}
