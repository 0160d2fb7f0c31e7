package dev.portolan.proxy.init;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * {@code proxy-init}: installs (or with {@code --print}, prints) the nat rules that send a pod's
 * TCP through its proxy. Idempotent. A bad value exits with status 2 and names the token.
 *
 * <pre>
 * proxy-init [--print] [--ipv6] [--inbound-port 4143] [--outbound-port 4140] [--proxy-uid 2102]
 *            [--skip-inbound-ports LIST] [--skip-outbound-ports LIST] [--skip-subnets CIDRS]
 * </pre>
 */
public final class ProxyInit {
  private ProxyInit() {}

  public static void main(String[] args) {
    Parsed p;
    try {
      p = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("proxy-init: " + e.getMessage());
      System.exit(2);
      return;
    }
    try {
      if (p.print()) {
        System.out.print(IptablesRules.script(p.config(), true, true));
        if (p.ipv6()) {
          System.out.print(IptablesRules.script(p.config(), false, true));
        }
      } else {
        apply(p.config(), List.of(), true);
        if (p.ipv6()) {
          apply(p.config(), List.of(), false);
        }
        System.err.println("proxy-init: rules installed");
      }
    } catch (IOException | InterruptedException | IllegalStateException e) {
      System.err.println("proxy-init: " + e.getMessage());
      System.exit(1);
    }
  }

  /** The parsed command line. */
  public record Parsed(ProxyInitConfig config, boolean print, boolean ipv6) {}

  public static Parsed parse(String[] args) {
    ProxyInitConfig d = ProxyInitConfig.defaults();
    int inbound = d.inboundPort();
    int outbound = d.outboundPort();
    int uid = d.proxyUid();
    var skipIn = d.skipInboundPorts();
    var skipOut = d.skipOutboundPorts();
    var subnets = d.skipSubnets();
    boolean print = false;
    boolean ipv6 = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--print" -> print = true;
        case "--ipv6" -> ipv6 = true;
        case "--inbound-port" -> inbound = port(a, value(args, ++i, a));
        case "--outbound-port" -> outbound = port(a, value(args, ++i, a));
        case "--proxy-uid" -> uid = number(a, value(args, ++i, a));
        case "--skip-inbound-ports" -> skipIn = ProxyInitConfig.ports(a, value(args, ++i, a));
        case "--skip-outbound-ports" -> skipOut = ProxyInitConfig.ports(a, value(args, ++i, a));
        case "--skip-subnets" -> subnets = ProxyInitConfig.subnets(a, value(args, ++i, a));
        default -> throw new IllegalArgumentException("unknown option '" + a + "'");
      }
    }
    return new Parsed(
        new ProxyInitConfig(inbound, outbound, uid, skipIn, skipOut, subnets), print, ipv6);
  }

  /**
   * Installs the rules, running each command behind {@code prefix} (e.g. {@code ip netns exec
   * pod-a}), so the same code serves a real pod and the test bed.
   */
  public static void apply(ProxyInitConfig config, List<String> prefix, boolean ipv4)
      throws IOException, InterruptedException {
    String save = ipv4 ? "iptables-save" : "ip6tables-save";
    String restore = ipv4 ? "iptables-restore" : "ip6tables-restore";
    String current = run(prefix, List.of(save, "-t", "nat"), null);
    boolean jumps =
        !(current.contains(IptablesRules.jumpComment(IptablesRules.INBOUND_CHAIN))
            && current.contains(IptablesRules.jumpComment(IptablesRules.OUTBOUND_CHAIN)));
    run(prefix, List.of(restore, "--noflush"), IptablesRules.script(config, ipv4, jumps));
  }

  static String run(List<String> prefix, List<String> command, @Nullable String stdin)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(command);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (stdin != null) {
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
    } else {
      p.getOutputStream().close();
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + " timed out");
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException(
          String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out.strip());
    }
    return out;
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value");
    }
    return args[i];
  }

  private static int number(String flag, String v) {
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + ": '" + v + "' is not a number");
    }
  }

  private static int port(String flag, String v) {
    int p = number(flag, v);
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException(flag + ": " + p + " is out of range 1-65535");
    }
    return p;
  }
}
