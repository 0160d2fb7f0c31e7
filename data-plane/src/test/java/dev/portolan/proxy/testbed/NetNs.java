package dev.portolan.proxy.testbed;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace this test created, deleted on close (also when the test failed). Only
 * addresses inside namespaces the test created are ever used.
 */
public final class NetNs implements AutoCloseable {
  private final String name;

  public NetNs(String prefix) {
    name = prefix + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    Sh.run("ip", "netns", "add", name);
    Sh.run("ip", "-n", name, "link", "set", "lo", "up");
  }

  public String name() {
    return name;
  }

  /** The prefix that runs a command inside this namespace. */
  public List<String> exec() {
    return List.of("ip", "netns", "exec", name);
  }

  public String run(String... cmd) {
    List<String> all = new ArrayList<>(exec());
    all.addAll(List.of(cmd));
    return Sh.run(all);
  }

  @Override
  public void close() {
    Sh.tryRun(List.of("ip", "netns", "delete", name));
  }
}
