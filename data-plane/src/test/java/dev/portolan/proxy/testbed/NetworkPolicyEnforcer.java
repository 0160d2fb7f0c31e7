package dev.portolan.proxy.testbed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A test-only NetworkPolicy enforcer for a started {@link TestBed}, doing what a CNI does
 * (docs/design/test-bed.md, <i>The enforcer</i>): it reads the NetworkPolicies from the bed's
 * manifests directory, the same files the policy-server reads, and turns them into iptables filter
 * rules in the bed's node namespace on the pods' veths ({@link NetworkPolicyRules}). A packet is
 * filtered on the bridge, before it reaches the pod's namespace and so before the pod's own NAT
 * redirect to its proxy: a connection to {@code redis:4143} is judged as a connection to 4143.
 *
 * <p>The pods' veths are ports of a bridge, so iptables sees their frames only through br_netfilter
 * ({@code net.bridge.bridge-nf-call-iptables}, per network namespace); the rules match the bridge
 * port with {@code -m physdev}. Without br_netfilter the enforcer skips the test with that reason
 * rather than enforce nothing.
 */
public final class NetworkPolicyEnforcer {
  private final TestBed bed;
  private final Map<String, String> vethByIp = new LinkedHashMap<>();
  private final Map<String, String> vethByPod = new LinkedHashMap<>();

  /** Installs the hook in the node's FORWARD chain and the rules for the manifests as they are. */
  public NetworkPolicyEnforcer(TestBed bed, List<String> pods) {
    this.bed = bed;
    NetNs node = bed.node();
    Sh.Result sysctl =
        Sh.tryRun(
            List.of(
                "ip",
                "netns",
                "exec",
                node.name(),
                "sysctl",
                "-w",
                "net.bridge.bridge-nf-call-iptables=1"));
    Assumptions.assumeTrue(
        sysctl.exit() == 0,
        "the enforcer needs br_netfilter (iptables on bridged frames): " + sysctl.output());
    for (String pod : pods) {
      vethByIp.put(bed.pod(pod).ip(), bed.veth(pod));
      vethByPod.put(pod, bed.veth(pod));
    }
    node.run("iptables", "-w", "-N", NetworkPolicyRules.CHAIN);
    node.run("iptables", "-w", "-A", "FORWARD", "-j", NetworkPolicyRules.CHAIN);
    sync();
  }

  /** Translates every manifest in the directory again and replaces the rules at once. */
  public void sync() {
    install(NetworkPolicyRules.restoreScript(NetworkPolicyRules.parse(files(Map.of())), vethByIp));
  }

  /**
   * A policy edit, as {@code kubectl apply} would make it: the file {@code name} in the manifests
   * directory gets {@code yaml}. The rules are translated first (a shape the enforcer cannot read
   * fails here and nothing is written), installed, and only then the file is moved into place in
   * one step, so the policy-server never reads half a file and the network already allows what the
   * policy-server is about to tell the proxies.
   */
  public void apply(String name, String yaml) {
    String script =
        NetworkPolicyRules.restoreScript(
            NetworkPolicyRules.parse(files(Map.of(name, yaml))), vethByIp);
    install(script);
    Path dir = bed.manifestsDir();
    try {
      Path tmp = Files.createTempFile(dir.getParent(), "portolan-np", ".tmp");
      Files.writeString(tmp, yaml);
      Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The node's rules now (for a failing test's message). */
  public String rules() {
    return bed.node().run("iptables", "-w", "-S");
  }

  /** The node's filter table with packet counters (for a failing test's message). */
  public String counters() {
    return bed.node().run("iptables", "-w", "-L", "-v", "-n", "-x");
  }

  /** Packets dropped so far on their way to (ingress) or from (egress) a pod. */
  public long dropped(String pod) {
    return count(pod, "I", "DROP", "") + count(pod, "E", "DROP", "");
  }

  /** Packets accepted so far by a pod's ingress rules for one TCP port (new connections only). */
  public long accepted(String pod, int port) {
    return count(pod, "I", "ACCEPT", "dpt:" + port);
  }

  private long count(String pod, String dir, String target, String extra) {
    String veth = vethByPod.get(pod);
    if (veth == null) {
      throw new IllegalArgumentException("the enforcer was not given pod " + pod);
    }
    String out =
        bed.node().run("iptables", "-w", "-L", "PTB-" + dir + "-" + veth, "-v", "-n", "-x");
    long sum = 0;
    for (String line : out.split("\n")) {
      String[] t = line.strip().split("\\s+");
      if (t.length > 2 && t[2].equals(target) && (extra.isEmpty() || containsToken(t, extra))) {
        sum += Long.parseLong(t[0]);
      }
    }
    return sum;
  }

  private static boolean containsToken(String[] tokens, String token) {
    for (String t : tokens) {
      if (t.equals(token)) {
        return true;
      }
    }
    return false;
  }

  private void install(String script) {
    List<String> cmd = new ArrayList<>(bed.node().exec());
    cmd.addAll(List.of("sh", "-c", "printf '%s' \"$0\" | iptables-restore -w --noflush", script));
    Sh.run(cmd);
  }

  /** The manifests directory's YAML files, with {@code override} replacing or adding files. */
  private Map<String, String> files(Map<String, String> override) {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(bed.manifestsDir())) {
      for (Path p : s.toList()) {
        String n = p.getFileName().toString();
        if (n.endsWith(".yaml") || n.endsWith(".yml")) {
          out.put(n, Files.readString(p));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.putAll(override);
    return out;
  }
}
