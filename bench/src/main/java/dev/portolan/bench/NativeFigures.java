package dev.portolan.bench;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory outside the heap of this process: NIO direct buffers (the JDK's count), Netty's own count
 * of direct memory in gRPC's shaded Netty (-1 when Netty allocates through the JDK and so appears
 * in the first), and the process's resident set.
 */
final class NativeFigures {
  private NativeFigures() {}

  record Sample(long nioDirect, long nettyDirect, long rssKb, long hwmKb) {
    @Override
    public String toString() {
      return String.format(
          "NIO direct %.1f MiB, gRPC Netty direct %s, RSS %.1f MiB (peak %.1f MiB)",
          nioDirect / 1048576.0,
          nettyDirect < 0 ? "n/a" : String.format("%.1f MiB", nettyDirect / 1048576.0),
          rssKb / 1024.0,
          hwmKb / 1024.0);
    }
  }

  static Sample sample() {
    long nio = 0;
    for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
      if (b.getName().equals("direct")) {
        nio = b.getMemoryUsed();
      }
    }
    long netty = io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent.usedDirectMemory();
    return new Sample(nio, netty, status("VmRSS"), status("VmHWM"));
  }

  /** A {@code /proc/self/status} field in kB. */
  private static long status(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key + ":")) {
          return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
        }
      }
    } catch (Exception e) {
      // not Linux: report nothing
    }
    return -1;
  }

  /** The machine's load average over 1, 5 and 15 minutes. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return "n/a";
    }
  }
}
