package dev.portolan.proxy.testbed;

import dev.portolan.policy.PolicyServerApplication;
import dev.portolan.proxy.ProxyMain;
import dev.portolan.proxy.init.ProxyInit;
import dev.portolan.proxy.init.ProxyInitConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pods as network namespaces (docs/design/test-bed.md): a node namespace with a bridge, one
 * namespace per pod with a veth on the bridge and an address in 10.244.77.0/24, proxy-init rules
 * and the proxy running as UID 2102 in meshed pods, and the policy-server (in the node namespace)
 * serving a manifests directory that describes the same pods. Everything is torn down on close,
 * also when a test failed.
 */
public final class TestBed implements AutoCloseable {
  public static final String NODE_IP = "10.244.77.1";
  public static final String NAMESPACE = "bed";
  private static final int PROXY_UID = 2102;

  private final NetNs node;
  private final Path manifests;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final Map<String, Pod> pods = new LinkedHashMap<>();
  private final String readableClasspath;
  private String proxyClasspath;
  private final StringBuilder yaml = new StringBuilder();
  private JavaProcess policyServer;
  // Tests look for buffer leaks (close() fails on a report); a benchmark's options replace these.
  private List<String> proxyJvmArgs =
      List.of("-Xmx128m", "-Dio.netty.leakDetection.level=paranoid");
  private Map<String, String> proxyEnv = Map.of();
  private List<String> policyServerArgs = List.of();
  private final Map<String, Map<String, String>> podProxyEnv = new LinkedHashMap<>();
  private final Map<String, String> podProxyClasspath = new LinkedHashMap<>();
  private int nextLink;
  private String namespaceAnnotations = "";
  private boolean identity;
  private Path identityDir;

  /** One pod: its namespace, address, and (if meshed) its proxy. */
  public record Pod(String name, String ip, NetNs ns, JavaProcess proxy) {
    public String run(String... cmd) {
      return ns.run(cmd);
    }

    /** The proxy's /metrics, fetched inside the pod over loopback. */
    public String metrics() {
      return ns.run("curl", "-s", "--max-time", "5", "http://127.0.0.1:4191/metrics");
    }
  }

  public TestBed() {
    Sh.assumeRootWith("ip", "iptables-restore", "iptables-save", "setpriv", "curl");
    node = new NetNs("ptb-node");
    closeables.add(node);
    try {
      node.run("ip", "link", "add", "br0", "type", "bridge");
      node.run("ip", "addr", "add", NODE_IP + "/24", "dev", "br0");
      node.run("ip", "link", "set", "br0", "up");
      manifests = Files.createTempDirectory("portolan-testbed");
      readableClasspath = ReadableClasspath.of(System.getProperty("java.class.path"));
    } catch (IOException | RuntimeException e) {
      close();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
  }

  /**
   * Annotations on the bed's Namespace, in flow style without braces (e.g. {@code
   * config.linkerd.io/opaque-ports: "8080"}): the policy-server reads them as the namespace's
   * defaults (docs/design/sources-and-precedence.md).
   */
  public TestBed namespaceAnnotations(String annotations) {
    namespaceAnnotations = annotations;
    return this;
  }

  /** Declares a pod (its manifest; the namespace comes up in {@link #start()}). */
  public TestBed pod(String name, String ip, boolean meshed, String annotations, String ports) {
    return pod(name, ip, meshed, annotations, ports, "");
  }

  /**
   * Declares a pod whose main container has {@code containerFields} besides its ports: YAML flow
   * mappings, one per line, e.g. {@code readinessProbe: {httpGet: {path: /ready, port: http}}}.
   */
  public TestBed pod(
      String name,
      String ip,
      boolean meshed,
      String annotations,
      String ports,
      String containerFields) {
    String extra =
        containerFields.lines().map(l -> "\n      " + l.strip()).reduce("", String::concat);
    yaml.append(
        """
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: %s
          namespace: %s
          labels: {app: %s%s}
          annotations: {%s}
        spec:
          serviceAccountName: %s
          containers:
            - name: main
              ports: [%s]%s
        status:
          phase: Running
          podIP: %s
          conditions: [{type: Ready, status: "True"}]
        """
            .formatted(
                name,
                NAMESPACE,
                name.replaceFirst("-\\d+$", ""),
                meshed ? ", linkerd.io/control-plane-ns: portolan" : "",
                annotations,
                name,
                ports,
                extra,
                ip));
    pods.put(name, new Pod(name, ip, null, null));
    meshedPods.put(name, meshed);
    podAnnotations.put(name, annotations);
    podPorts.put(
        name,
        String.join(
            ",",
            java.util.regex.Pattern.compile("containerPort: (\\d+)")
                .matcher(ports)
                .results()
                .map(m -> m.group(1))
                .toList()));
    return this;
  }

  /**
   * A meshed pod set up as the injector wrote it (docs/injector.md): proxy-init runs with {@code
   * initArgs}, the init container's arguments, and the proxy with exactly {@code proxyEnv}, the
   * proxy container's environment once Kubernetes resolved its downward-API references. Declare the
   * pod with {@link #pod} first (meshed); this replaces what the bed would derive from its
   * annotations.
   */
  public TestBed injected(String pod, List<String> initArgs, Map<String, String> proxyEnv) {
    if (!Boolean.TRUE.equals(meshedPods.get(pod))) {
      throw new IllegalArgumentException("declare " + pod + " as a meshed pod first");
    }
    injected.put(pod, new Injected(List.copyOf(initArgs), Map.copyOf(proxyEnv)));
    return this;
  }

  private record Injected(List<String> initArgs, Map<String, String> env) {}

  private final Map<String, Injected> injected = new LinkedHashMap<>();
  private final Map<String, Boolean> meshedPods = new LinkedHashMap<>();
  private final Map<String, String> podAnnotations = new LinkedHashMap<>();
  private final Map<String, String> podPorts = new LinkedHashMap<>();

  /**
   * Identity on (docs/design/test-bed.md): the policy-server serves Certify (manifests mode: it
   * generates the trust anchor and writes it into this bed's own directory) and accepts one token
   * per meshed pod, from a token file this bed writes; each proxy runs with {@code
   * PORTOLAN_IDENTITY=plaintext} (unless {@link #proxyEnv} says {@code tls}, with {@link
   * #policyServerArgs} {@code --portolan.grpc.tls=required}), its ServiceAccount (the pod's name),
   * its token and the trust anchor, and is ready once certified.
   */
  public TestBed identity(boolean on) {
    identity = on;
    return this;
  }

  /** Extra arguments for the policy-server (e.g. {@code --portolan.grpc.tls=required}). */
  public TestBed policyServerArgs(String... args) {
    policyServerArgs = List.of(args);
    return this;
  }

  /** Extra environment for every proxy (e.g. a short PORTOLAN_IDLE_TIMEOUT). */
  public TestBed proxyEnv(Map<String, String> env) {
    proxyEnv = Map.copyOf(env);
    return this;
  }

  /**
   * Extra environment for one pod's proxy, over that of {@link #proxyEnv(Map)}: a benchmark runs a
   * variant of the proxy beside the default one in the same bed.
   */
  public TestBed proxyEnv(String pod, Map<String, String> env) {
    podProxyEnv.put(pod, Map.copyOf(env));
    return this;
  }

  /**
   * The proxies' classpath (default: this JVM's, test classes included). A benchmark passes the
   * proxy's own runtime classpath so that it loads, and pays memory for, what a deployed proxy
   * would.
   */
  public TestBed proxyClasspath(String classpath) {
    proxyClasspath = ReadableClasspath.of(classpath);
    return this;
  }

  /**
   * One pod's proxy on another classpath than the others': a benchmark runs a proxy built from
   * another commit beside this one's in the same bed.
   */
  public TestBed proxyClasspath(String pod, String classpath) {
    podProxyClasspath.put(pod, ReadableClasspath.of(classpath));
    return this;
  }

  /**
   * JVM options for the proxies, instead of the tests' (benchmarks want the full JIT and the
   * deployed settings; tests start fast and detect leaks).
   */
  public TestBed proxyJvm(List<String> args) {
    proxyJvmArgs = List.copyOf(args);
    return this;
  }

  /**
   * Declares a {@code Server} (policy.linkerd.io/v1beta3) selecting the pods of {@code app} on a
   * port, with a proxy protocol ({@code opaque}, {@code HTTP/1}, {@code HTTP/2}, {@code gRPC}…).
   */
  public TestBed server(String name, String app, int port, String proxyProtocol) {
    yaml.append(
        """
        ---
        apiVersion: policy.linkerd.io/v1beta3
        kind: Server
        metadata: {name: %s, namespace: %s, creationTimestamp: "2026-01-01T00:00:00Z"}
        spec:
          podSelector:
            matchLabels: {app: %s}
          port: %d
          proxyProtocol: %s
        """
            .formatted(name, NAMESPACE, app, port, proxyProtocol));
    return this;
  }

  /**
   * Adds a manifest of any kind to the bed's cluster (e.g. a NetworkPolicy), as YAML of one or more
   * documents; objects in the bed's namespace name it {@value #NAMESPACE}.
   */
  public TestBed manifest(String yaml) {
    this.yaml.append("---\n").append(yaml.endsWith("\n") ? yaml : yaml + "\n");
    return this;
  }

  /**
   * Declares a Service with a cluster IP (reachable only through a client proxy: no kube-proxy).
   */
  public TestBed service(String name, String app, String clusterIp, int port, int targetPort) {
    return service(name, app, clusterIp, port, targetPort, "");
  }

  /**
   * A Service as {@link #service(String, String, String, int, int)}, with annotations in flow style
   * without braces (e.g. {@code config.linkerd.io/opaque-ports: "80"}).
   */
  public TestBed service(
      String name, String app, String clusterIp, int port, int targetPort, String annotations) {
    yaml.append(
        """
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: %s, namespace: %s, annotations: {%s}}
        spec:
          clusterIP: %s
          selector: {app: %s}
          ports: [{name: p%d, port: %d, targetPort: %d}]
        """
            .formatted(name, NAMESPACE, annotations, clusterIp, app, port, port, targetPort));
    return this;
  }

  /**
   * Starts the policy-server, then every pod (namespace, veth, rules, proxy). On failure it tears
   * everything down before throwing (the caller's try-with-resources never saw this bed).
   */
  public TestBed start() throws Exception {
    try {
      return doStart();
    } catch (Exception | Error e) {
      close();
      throw e;
    }
  }

  private TestBed doStart() throws Exception {
    String namespace =
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  annotations: {%s}\n"
            .formatted(NAMESPACE, namespaceAnnotations);
    Files.writeString(manifests.resolve("bed.yaml"), namespace + yaml);
    if (identity) {
      writeTokens();
    }
    startPolicyServer();
    if (identity) {
      // The proxies read the trust anchor at start: it must be there first.
      policyServer.awaitContaining("portolan policy-server listening");
      Path anchor = identityDir.resolve("trust-anchor.pem");
      if (!Files.isReadable(anchor)) {
        throw new IllegalStateException(
            "the policy-server wrote no trust anchor at " + anchor + ":\n" + policyServer.output());
      }
      Sh.run("chmod", "0644", anchor.toString());
    }
    for (var e : new ArrayList<>(pods.entrySet())) {
      String name = e.getKey();
      pods.put(name, startPod(name, e.getValue().ip(), meshedPods.get(name)));
    }
    if (!identity) {
      policyServer.awaitContaining("portolan policy-server listening");
    }
    for (Pod p : pods.values()) {
      if (p.proxy() != null) {
        p.proxy().awaitLine("portolan-proxy ready");
      }
    }
    return this;
  }

  /** One random token per pod, and the policy-server's file of them all. */
  private void writeTokens() throws IOException {
    // Readable by the proxies' UID: a directory of this bed's own, not the 0700 temp dir.
    identityDir = Files.createTempDirectory("portolan-testbed-identity");
    Sh.run("chmod", "0755", identityDir.toString());
    StringBuilder all = new StringBuilder();
    // Pods without a proxy get one too: a test may run a mesh client of its own there.
    for (String name : pods.keySet()) {
      String token = java.util.UUID.randomUUID().toString();
      Path file = identityDir.resolve(name + ".token");
      Files.writeString(file, token + "\n");
      Sh.run("chmod", "0644", file.toString());
      all.append(NAMESPACE).append('/').append(name).append(' ').append(token).append('\n');
    }
    Files.writeString(identityDir.resolve("tokens"), all.toString());
  }

  /** Stops the policy-server (proxies keep their last known state). */
  public void stopPolicyServer() {
    policyServer.close();
  }

  /** Starts the policy-server again on the same address and manifests. */
  public void restartPolicyServer() throws InterruptedException {
    startPolicyServer();
    policyServer.awaitContaining("portolan policy-server listening");
  }

  private void startPolicyServer() {
    policyServer = startPolicyServer(8086, 8080);
  }

  /**
   * A second policy-server replica over the same manifests, on the node at {@code grpcPort} (the
   * first is on 8086); the caller closes it, or the bed does. Proxies reach it when their {@code
   * PORTOLAN_POLICY_SERVER} lists it ({@link #proxyEnv}).
   */
  public JavaProcess startReplica(int grpcPort, int httpPort) throws InterruptedException {
    JavaProcess p = startPolicyServer(grpcPort, httpPort);
    p.awaitContaining("portolan policy-server listening");
    return p;
  }

  private JavaProcess startPolicyServer(int grpcPort, int httpPort) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--portolan.manifests.dir=" + manifests,
                "--portolan.grpc.port=" + grpcPort,
                "--server.port=" + httpPort,
                "--spring.main.banner-mode=off"));
    if (identity) {
      args.add("--portolan.identity.token-file=" + identityDir.resolve("tokens"));
      args.add("--portolan.identity.trust-anchor-out=" + identityDir.resolve("trust-anchor.pem"));
    }
    args.addAll(policyServerArgs);
    JavaProcess p =
        JavaProcess.start(
            node.exec(),
            List.of("-Xmx512m"),
            System.getProperty("java.class.path"),
            Map.of(),
            PolicyServerApplication.class,
            args.toArray(String[]::new));
    closeables.add(p);
    return p;
  }

  private Pod startPod(String name, String ip, boolean meshed) throws Exception {
    NetNs ns = new NetNs("ptb-" + name);
    closeables.add(ns);
    String host = "vp" + (nextLink++);
    node.run("ip", "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns.name());
    node.run("ip", "link", "set", host, "master", "br0", "up");
    veths.put(name, host);
    ns.run("ip", "addr", "add", ip + "/24", "dev", "eth0");
    ns.run("ip", "link", "set", "eth0", "up");
    ns.run("ip", "route", "add", "default", "via", NODE_IP);
    if (!meshed) {
      return new Pod(name, ip, ns, null);
    }
    Injected inj = injected.get(name);
    if (inj != null) {
      // The init container: proxy-init's own entry point, its arguments as written, run to exit.
      JavaProcess init =
          JavaProcess.start(
              ns.exec(),
              List.of("-Xmx64m"),
              System.getProperty("java.class.path"),
              Map.of(),
              ProxyInit.class,
              inj.initArgs().toArray(String[]::new));
      closeables.add(init);
      init.awaitContaining("proxy-init: rules installed");
    }
    String annotations = podAnnotations.get(name);
    ProxyInitConfig init =
        new ProxyInitConfig(
            4143,
            4140,
            PROXY_UID,
            ProxyInitConfig.ports(
                "skip-inbound", annotationValue(annotations, "skip-inbound-ports")),
            ProxyInitConfig.ports(
                "skip-outbound", annotationValue(annotations, "skip-outbound-ports")),
            ProxyInitConfig.subnets("skip-subnets", annotationValue(annotations, "skip-subnets")));
    if (inj == null) {
      ProxyInit.apply(init, ns.exec(), true);
    }
    List<String> prefix = new ArrayList<>(ns.exec());
    prefix.addAll(
        List.of("setpriv", "--reuid=" + PROXY_UID, "--regid=" + PROXY_UID, "--clear-groups"));
    JavaProcess proxy =
        JavaProcess.start(
            prefix,
            proxyJvmArgs,
            podProxyClasspath.getOrDefault(
                name, proxyClasspath != null ? proxyClasspath : readableClasspath),
            inj != null ? inj.env() : proxyEnvFor(name),
            ProxyMain.class);
    closeables.add(proxy);
    return new Pod(name, ip, ns, proxy);
  }

  private Map<String, String> proxyEnvFor(String name) {
    Map<String, String> env = new LinkedHashMap<>(proxyEnv);
    env.putAll(podProxyEnv.getOrDefault(name, Map.of()));
    env.putIfAbsent("PORTOLAN_POLICY_SERVER", NODE_IP + ":8086"); // a test may list replicas
    env.put("PORTOLAN_NAMESPACE", NAMESPACE);
    env.put("PORTOLAN_POD", name);
    env.putIfAbsent("PORTOLAN_DISCOVERY_WAIT", "2s");
    env.put("PORTOLAN_INBOUND_PORTS", podPorts.getOrDefault(name, ""));
    String skip = annotationValue(podAnnotations.getOrDefault(name, ""), "skip-inbound-ports");
    if (!skip.isEmpty()) {
      env.put("PORTOLAN_SKIP_INBOUND_PORTS", skip);
    }
    if (identity) {
      env.putIfAbsent("PORTOLAN_IDENTITY", "plaintext");
      env.put("PORTOLAN_SERVICE_ACCOUNT", name);
      env.put("PORTOLAN_IDENTITY_TOKEN_FILE", identityDir.resolve(name + ".token").toString());
      env.put(
          "PORTOLAN_IDENTITY_TRUST_ANCHORS", identityDir.resolve("trust-anchor.pem").toString());
    }
    return env;
  }

  private static String annotationValue(String annotations, String key) {
    String k = "config.linkerd.io/" + key + ":";
    int i = annotations.indexOf(k);
    if (i < 0) {
      return "";
    }
    String rest = annotations.substring(i + k.length()).strip();
    if (rest.startsWith("\"")) {
      return rest.substring(1, rest.indexOf('"', 1));
    }
    int comma = rest.indexOf(',');
    return comma < 0 ? rest : rest.substring(0, comma);
  }

  public Pod pod(String name) {
    return pods.get(name);
  }

  private final Map<String, String> veths = new LinkedHashMap<>();

  /** The node's end of a pod's veth pair (on the bridge): where a CNI would filter its traffic. */
  public String veth(String pod) {
    return veths.get(pod);
  }

  /** The node namespace (bridge, policy-server; the enforcer's packet filter lives here). */
  public NetNs node() {
    return node;
  }

  /** The directory of manifests the policy-server watches (a test may add or edit files). */
  public Path manifestsDir() {
    return manifests;
  }

  /** Runs a program inside a pod namespace in the background (a server), killed on close. */
  public JavaProcess background(String pod, String... cmd) {
    List<String> all = new ArrayList<>(pods.get(pod).ns().exec());
    all.addAll(List.of(cmd));
    JavaProcess p = JavaProcess.command(all, Map.of());
    closeables.add(p);
    return p;
  }

  /**
   * Runs a Java program from the test classpath inside a pod (as root: its traffic is intercepted).
   */
  public JavaProcess javaIn(String pod, Class<?> main, String... args) {
    JavaProcess p =
        JavaProcess.start(
            pods.get(pod).ns().exec(),
            List.of("-Xmx128m"),
            System.getProperty("java.class.path"),
            Map.of(),
            main,
            args);
    closeables.add(p);
    return p;
  }

  /** This bed's identity directory (tokens, trust anchor); null unless {@link #identity}. */
  public Path identityDir() {
    return identityDir;
  }

  public JavaProcess policyServer() {
    return policyServer;
  }

  /**
   * Tears everything down, then fails if a proxy reported a Netty buffer leak (test-bed proxies run
   * with {@code io.netty.leakDetection.level=paranoid}; a report depends on the GC, so a leak is
   * caught often, not always).
   */
  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception ignored) {
        // keep tearing down
      }
    }
    List<String> leaks = new ArrayList<>();
    for (Pod p : pods.values()) {
      if (p.proxy() != null && p.proxy().output().contains("LEAK:")) {
        leaks.add("proxy of pod " + p.name() + ":\n" + p.proxy().output());
      }
    }
    if (!leaks.isEmpty()) {
      throw new AssertionError("buffer leak reported by " + String.join("\n", leaks));
    }
  }
}
