package dev.portolan.proxy;

import dev.portolan.policy.model.ParsedPorts;
import dev.portolan.policy.model.PortListParser;
import dev.portolan.policy.model.PortSet;
import dev.portolan.proxy.connection.DetectionGate;
import dev.portolan.proxy.discovery.Limits;
import dev.portolan.proxy.net.DataLoops;
import dev.portolan.proxy.net.IoTransport;
import dev.portolan.proxy.net.LoopbackLeg;
import java.time.Duration;
import java.util.Map;

/**
 * The proxy's settings, from environment variables (docs/proxy.md).
 *
 * @param policyServer host:port of the policy-server's gRPC API
 * @param namespace this pod's namespace (context token, WatchPort workload)
 * @param pod this pod's name
 * @param serviceAccount this pod's ServiceAccount: with the namespace, its mesh identity (the name
 *     its certificate will carry once mTLS lands)
 * @param inboundPorts the pod's container ports (checked at start; nothing fetches their inbound
 *     policies ahead of a first connection yet)
 * @param workers data-path event loop threads
 * @param ioTransport io_uring or epoll ({@code PORTOLAN_TRANSPORT}: auto, io_uring, epoll)
 * @param nativeRelay relayed TCP connections are driven by the proxy's own relay on the loop's
 *     transport ({@code UringRelay}, {@code EpollRelay}) rather than a Netty pipeline ({@code
 *     PORTOLAN_RELAY}: auto, the default, or netty)
 * @param loopbackCongestion the congestion control of the proxy's sockets on the pod's loopback leg
 *     ({@code PORTOLAN_LOOPBACK_CONGESTION}: reno by default; empty for {@code kernel}, the node's
 *     choice); see {@link LoopbackLeg}
 * @param logLevel {@code PORTOLAN_LOG_LEVEL}, applied by {@link LogLevel#apply()} before anything
 *     logs
 * @param maxDetecting {@code PORTOLAN_MAX_DETECTING}: the most connections in protocol detection at
 *     once, both directions together (1,024); over it the oldest is closed ({@code DetectionGate})
 * @param discoveryLimits idle eviction, destination cap and control-plane reconnect backoff ({@code
 *     PORTOLAN_DISCOVERY_IDLE_TIMEOUT}, {@code PORTOLAN_MAX_DESTINATIONS}, {@code
 *     PORTOLAN_CONTROL_PLANE_BACKOFF_BASE}, {@code PORTOLAN_CONTROL_PLANE_BACKOFF_MAX})
 * @param skipInboundPorts {@code PORTOLAN_SKIP_INBOUND_PORTS}: the pod's skipped inbound ports (as
 *     proxy-init skips them); a transport header naming one is refused
 * @param transportHeaderTimeout {@code PORTOLAN_TRANSPORT_HEADER_TIMEOUT}: how long a client of the
 *     inbound port has, once mesh TLS is verified, to send the whole transport header (10s)
 * @param nodeName {@code PORTOLAN_NODE_NAME}: the node this pod runs on (the injector sets it from
 *     the downward API's {@code spec.nodeName}); empty when unknown
 * @param contextToken {@code PORTOLAN_CONTEXT_TOKEN}: sent on every Destination request, as
 *     Linkerd's proxy sends {@code LINKERD2_PROXY_DESTINATION_CONTEXT} (docs/design/streams.md);
 *     when unset, built from the namespace, node name and pod
 * @param shutdownGrace {@code PORTOLAN_SHUTDOWN_GRACE}: how long, after SIGTERM, the proxy waits
 *     for its established connections to finish before it exits (docs/proxy.md, <i>Shutdown</i>)
 * @param taskQuantum {@code PORTOLAN_TASK_QUANTUM}: how long a data-path event loop runs queued
 *     tasks before it reads its sockets again (2ms; Netty's own default is a second); see {@link
 *     DataLoops}
 */
public record ProxyConfig(
    String policyServer,
    String namespace,
    String pod,
    String serviceAccount,
    String bindAddress,
    int inboundPort,
    int outboundPort,
    int adminPort,
    Duration detectTimeout,
    Duration serverFirstWindow,
    int maxDetecting,
    Duration connectTimeout,
    Duration idleTimeout,
    Duration discoveryWait,
    PortSet inboundPorts,
    int workers,
    IoTransport ioTransport,
    boolean nativeRelay,
    String loopbackCongestion,
    LogLevel logLevel,
    Limits discoveryLimits,
    PortSet skipInboundPorts,
    Duration transportHeaderTimeout,
    String nodeName,
    String contextToken,
    Duration shutdownGrace,
    Duration taskQuantum) {

  /** Kubernetes' default {@code terminationGracePeriodSeconds}. */
  public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);

  public static ProxyConfig fromEnv(Map<String, String> env) {
    return new ProxyConfig(
        env.getOrDefault("PORTOLAN_POLICY_SERVER", "127.0.0.1:8086"),
        env.getOrDefault("PORTOLAN_NAMESPACE", "default"),
        env.getOrDefault("PORTOLAN_POD", "unknown"),
        env.getOrDefault("PORTOLAN_SERVICE_ACCOUNT", "default"),
        env.getOrDefault("PORTOLAN_BIND_ADDRESS", "0.0.0.0"),
        intOf(env, "PORTOLAN_INBOUND_PORT", 4143),
        intOf(env, "PORTOLAN_OUTBOUND_PORT", 4140),
        intOf(env, "PORTOLAN_ADMIN_PORT", 4191),
        durationOf(env, "PORTOLAN_DETECT_TIMEOUT", Duration.ofSeconds(10)),
        durationOf(env, "PORTOLAN_SERVER_FIRST_WINDOW", Duration.ofMillis(100)),
        maxDetectingOf(env),
        durationOf(env, "PORTOLAN_CONNECT_TIMEOUT", Duration.ofSeconds(3)),
        durationOf(env, "PORTOLAN_IDLE_TIMEOUT", Duration.ofMinutes(10)),
        durationOf(env, "PORTOLAN_DISCOVERY_WAIT", Duration.ofSeconds(2)),
        portsOf(env, "PORTOLAN_INBOUND_PORTS"),
        intOf(env, "PORTOLAN_WORKERS", Runtime.getRuntime().availableProcessors()),
        IoTransport.choose(env.getOrDefault("PORTOLAN_TRANSPORT", "auto")),
        nativeRelayOf(env.getOrDefault("PORTOLAN_RELAY", "auto")),
        LoopbackLeg.parse(env.get("PORTOLAN_LOOPBACK_CONGESTION")),
        logLevelOf(env),
        limitsOf(env),
        portsOf(env, "PORTOLAN_SKIP_INBOUND_PORTS"),
        durationOf(env, "PORTOLAN_TRANSPORT_HEADER_TIMEOUT", Duration.ofSeconds(10)),
        env.getOrDefault("PORTOLAN_NODE_NAME", ""),
        contextTokenOf(env),
        shutdownGraceOf(env),
        taskQuantumOf(env));
  }

  private static Duration taskQuantumOf(Map<String, String> env) {
    Duration q = durationOf(env, "PORTOLAN_TASK_QUANTUM", DataLoops.DEFAULT_TASK_QUANTUM);
    if (q.toMillis() < 1) {
      throw new IllegalArgumentException(
          "PORTOLAN_TASK_QUANTUM='"
              + env.get("PORTOLAN_TASK_QUANTUM")
              + "' must be at least 1ms (Netty counts it in milliseconds)");
    }
    return q;
  }

  private static Duration shutdownGraceOf(Map<String, String> env) {
    Duration grace = durationOf(env, "PORTOLAN_SHUTDOWN_GRACE", DEFAULT_SHUTDOWN_GRACE);
    if (grace.isNegative()) {
      throw new IllegalArgumentException(
          "PORTOLAN_SHUTDOWN_GRACE='"
              + env.get("PORTOLAN_SHUTDOWN_GRACE")
              + "' is negative (0s exits at once, dropping open connections)");
    }
    return grace;
  }

  /**
   * {@code PORTOLAN_CONTEXT_TOKEN} as given (the injector's, Kubernetes having expanded its
   * downward-API references), else the same JSON built from the other variables.
   */
  private static String contextTokenOf(Map<String, String> env) {
    String given = env.get("PORTOLAN_CONTEXT_TOKEN");
    if (given != null && !given.isBlank()) {
      return given.strip();
    }
    return contextToken(
        env.getOrDefault("PORTOLAN_NAMESPACE", "default"),
        env.getOrDefault("PORTOLAN_NODE_NAME", ""),
        env.getOrDefault("PORTOLAN_POD", "unknown"));
  }

  /** The context token Linkerd's proxy sends: {@code {"ns":..,"nodeName":..,"pod":..}}. */
  public static String contextToken(String namespace, String nodeName, String pod) {
    return "{\"ns\":\""
        + jsonEscape(namespace)
        + "\",\"nodeName\":\""
        + jsonEscape(nodeName)
        + "\",\"pod\":\""
        + jsonEscape(pod)
        + "\"}";
  }

  // Kubernetes names hold no quote or backslash; escaping keeps a hand-set variable from
  // producing a token the policy-server cannot parse.
  private static String jsonEscape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  /** Read on its own first: it has to be applied before the transport probe creates loggers. */
  public static LogLevel logLevelOf(Map<String, String> env) {
    return LogLevel.parse(env.getOrDefault("PORTOLAN_LOG_LEVEL", "info"));
  }

  private static boolean nativeRelayOf(String value) {
    return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "auto", "" -> true;
      case "netty" -> false;
      default ->
          throw new IllegalArgumentException(
              "PORTOLAN_RELAY: '" + value + "' is not one of auto, netty");
    };
  }

  /** The pod's container ports (as the injector knows them), to learn their policies early. */
  private static PortSet portsOf(Map<String, String> env, String key) {
    ParsedPorts p = PortListParser.parse(env.getOrDefault(key, ""));
    if (p.hasErrors()) {
      throw new IllegalArgumentException(key + ": " + p.invalid().getFirst());
    }
    return p.ports();
  }

  private static int maxDetectingOf(Map<String, String> env) {
    int cap = intOf(env, "PORTOLAN_MAX_DETECTING", DetectionGate.DEFAULT_CAP);
    if (cap < 1) {
      throw new IllegalArgumentException(
          "PORTOLAN_MAX_DETECTING='"
              + env.get("PORTOLAN_MAX_DETECTING")
              + "' must be at least 1 (connections in detection at once)");
    }
    return cap;
  }

  private static Limits limitsOf(Map<String, String> env) {
    Limits d = Limits.DEFAULT;
    return new Limits(
        durationOf(env, "PORTOLAN_DISCOVERY_IDLE_TIMEOUT", d.idleTimeout()),
        intOf(env, "PORTOLAN_MAX_DESTINATIONS", d.maxDestinations()),
        durationOf(env, "PORTOLAN_CONTROL_PLANE_BACKOFF_BASE", d.backoffBase()),
        durationOf(env, "PORTOLAN_CONTROL_PLANE_BACKOFF_MAX", d.backoffMax()));
  }

  private static int intOf(Map<String, String> env, String key, int def) {
    String v = env.get(key);
    if (v == null || v.isBlank()) {
      return def;
    }
    try {
      return Integer.parseInt(v.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + "='" + v + "' is not a number");
    }
  }

  /** {@code 100ms}, {@code 10s}, {@code 2m}, or ISO-8601 ({@code PT10S}). */
  static Duration durationOf(Map<String, String> env, String key, Duration def) {
    String v = env.get(key);
    if (v == null || v.isBlank()) {
      return def;
    }
    String s = v.strip();
    try {
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      }
      if (s.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
      }
      if (s.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
      }
      return Duration.parse(s);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(key + "='" + v + "' is not a duration (e.g. 100ms, 10s)");
    }
  }
}
