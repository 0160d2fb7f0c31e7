package dev.portolan.proxy.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    // `ip netns exec` mounts /etc/netns/NAME/resolv.conf over /etc/resolv.conf: DNS lookups by
    // programs in the namespace (e.g. an SMTP server resolving its peer) fail at once on loopback
    // instead of timing out, and no DNS query ever leaves the namespace.
    try {
      Path etc = etcDir();
      Files.createDirectories(etc);
      Files.writeString(
          etc.resolve("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path etcDir() {
    return Path.of("/etc/netns", name);
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
    Sh.tryRun(List.of("rm", "-rf", etcDir().toString()));
  }
}
