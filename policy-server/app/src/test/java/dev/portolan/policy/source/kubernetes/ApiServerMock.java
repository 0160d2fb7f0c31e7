package dev.portolan.policy.source.kubernetes;

import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceBuilder;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingList;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleList;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingList;
import io.fabric8.kubernetes.api.model.rbac.RoleList;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A CRUD-mode mock API server that answers where the plain one does not as an API server does:
 *
 * <ul>
 *   <li><b>Custom resources exist only with their CRD.</b> The plain mock stores any resource of
 *       any group, so a missing CRD would go unnoticed (ServerCrdCheckTest shows it). Here a
 *       request for a resource of a group that is neither built in (no dot) nor {@code *.k8s.io}
 *       gets 404 unless a stored CustomResourceDefinition {@code <plural>.<group>} serves that
 *       version.
 *   <li><b>RBAC.</b> A client whose token is a service account's user name ({@code
 *       system:serviceaccount:NS:NAME}) gets 403 for what the stored Roles and bindings do not
 *       grant; the token {@link #ADMIN}, or none, stands for a cluster admin. Discovery is open to
 *       all, as the API server's {@code system:discovery} role makes it.
 *   <li><b>Core discovery</b> ({@code /api/v1}), which Helm needs for the chart's {@code lookup}.
 * </ul>
 */
final class ApiServerMock implements AutoCloseable {
  static final String ADMIN = "admin";
  static final KubernetesSerialization JSON = new KubernetesSerialization();
  private static final Logger log = LoggerFactory.getLogger(ApiServerMock.class);

  private final KubernetesCrudDispatcher store = new KubernetesCrudDispatcher();
  private final List<String> forbidden = new CopyOnWriteArrayList<>();
  private final KubernetesMockServer server;

  ApiServerMock() {
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new Dispatcher() {
              @Override
              public MockResponse dispatch(RecordedRequest request) {
                return answer(request);
              }
            },
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
  }

  String url() {
    return "http://127.0.0.1:" + server.getPort();
  }

  /** A client that authenticates with {@code token}; close it. */
  KubernetesClient client(String token) {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(url())
            .withOauthToken(token)
            .withRequestRetryBackoffLimit(0)
            .build();
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /** A kubeconfig for this server, as a user authenticated by {@code token}. */
  String kubeconfig(String token) {
    return """
    apiVersion: v1
    kind: Config
    clusters:
      - name: mock
        cluster:
          server: "%s"
    contexts:
      - name: mock
        context:
          cluster: mock
          user: mock
    users:
      - name: mock
        user:
          token: "%s"
    current-context: mock
    """
        .formatted(url(), token);
  }

  /** Every request refused with 403 so far, in the API server's words. */
  List<String> forbidden() {
    return List.copyOf(forbidden);
  }

  /**
   * Stops the server. fabric8's mock handles a closed watch by waiting, on its Vert.x event loop,
   * for that watch's send executor to terminate (up to a minute). When a client drops its watches
   * while they are being set up (a start that fails as the informers sync), that wait was seen to
   * block the loop for over 10 s on a loaded machine, and the mock's own shutdown gives up after 10
   * s with "Unable to close MockWebServer". Every assertion has run by then, so that one failure is
   * logged, not thrown.
   */
  @Override
  public void close() {
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      log.warn("mock API server did not stop cleanly: {}", e.toString());
    }
  }

  private MockResponse answer(RecordedRequest request) {
    String[] pathAndQuery = request.getPath().split("\\?", 2);
    String path = pathAndQuery[0];
    String query = pathAndQuery.length > 1 ? pathAndQuery[1] : "";
    if (request.method().name().equals("GET") && path.equals("/api/v1")) {
      return json(200, CORE_V1);
    }
    Rbac.Request r = attributes(request.method().name(), path, query, user(request));
    if (r == null) {
      return store.dispatch(request);
    }
    if (!r.user().equals(ADMIN) && !policy().allows(r)) {
      forbidden.add(r.describe());
      return status(403, "Forbidden", r.resource() + " is forbidden: " + r.describe());
    }
    if (isCustom(r.group()) && !served(r.group(), version(path), r.resource())) {
      return status(404, "NotFound", "the server could not find the requested resource");
    }
    return store.dispatch(request);
  }

  /**
   * The bearer token, which is the user name here. helm-java sends no credentials with the chart's
   * lookups: a request without any is taken as the installer's, a cluster admin's.
   */
  private static String user(RecordedRequest request) {
    String auth = request.getHeader("Authorization");
    return auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : ADMIN;
  }

  /** The request's RBAC attributes; null for a non-resource path (discovery, /version). */
  private static Rbac.@Nullable Request attributes(
      String method, String path, String query, String user) {
    List<String> s = Arrays.stream(path.split("/")).filter(p -> !p.isEmpty()).toList();
    List<String> rest;
    String group;
    if (s.size() > 2 && s.get(0).equals("api")) {
      group = "";
      rest = s.subList(2, s.size());
    } else if (s.size() > 3 && s.get(0).equals("apis")) {
      group = s.get(1);
      rest = s.subList(3, s.size());
    } else {
      return null;
    }
    String namespace = null;
    if (rest.get(0).equals("namespaces") && rest.size() >= 3) {
      namespace = rest.get(1);
      rest = rest.subList(2, rest.size());
    }
    String resource = rest.get(0);
    String name = rest.size() > 1 ? rest.get(1) : null;
    String subresource = rest.size() > 2 ? rest.get(2) : null;
    String verb =
        switch (method) {
          case "GET" ->
              name != null
                  ? "get"
                  : query.matches("(^|.*&)watch=(true|1)(&.*|$)") ? "watch" : "list";
          case "POST" -> "create";
          case "PUT" -> "update";
          case "PATCH" -> "patch";
          case "DELETE" -> name != null ? "delete" : "deletecollection";
          default -> method.toLowerCase(java.util.Locale.ROOT);
        };
    return new Rbac.Request(user, verb, group, resource, subresource, namespace, name);
  }

  private static String version(String path) {
    return path.split("/")[3];
  }

  /** Built-in groups are unqualified (apps, policy) or end in .k8s.io; CRDs bring the rest. */
  private static boolean isCustom(String group) {
    return group.contains(".") && !group.endsWith(".k8s.io");
  }

  private boolean served(String group, String version, String plural) {
    MockResponse r =
        store.handleGet(
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" + plural + "." + group);
    if (r.code() != 200) {
      return false;
    }
    CustomResourceDefinition crd =
        JSON.unmarshal(r.getBody().readUtf8(), CustomResourceDefinition.class);
    return crd.getSpec().getVersions().stream()
        .anyMatch(v -> v.getName().equals(version) && Boolean.TRUE.equals(v.getServed()));
  }

  private Rbac.Policy policy() {
    return new Rbac.Policy(
        list("/apis/rbac.authorization.k8s.io/v1/clusterroles", ClusterRoleList.class),
        list(
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", ClusterRoleBindingList.class),
        list("/apis/rbac.authorization.k8s.io/v1/roles", RoleList.class),
        list("/apis/rbac.authorization.k8s.io/v1/rolebindings", RoleBindingList.class));
  }

  private <T extends HasMetadata, L extends KubernetesResourceList<T>> List<T> list(
      String path, Class<L> type) {
    MockResponse r = store.handleGet(path);
    if (r.code() != 200) {
      return List.of();
    }
    return JSON.unmarshal(r.getBody().readUtf8(), type).getItems();
  }

  private static MockResponse status(int code, String reason, String message) {
    Status s =
        new StatusBuilder()
            .withStatus("Failure")
            .withCode(code)
            .withReason(reason)
            .withMessage(message)
            .build();
    return json(code, s);
  }

  private static MockResponse json(int code, Object body) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(JSON.asJson(body));
  }

  private static final Object CORE_V1 =
      new APIResourceListBuilder()
          .withGroupVersion("v1")
          .withResources(
              core("namespaces", "Namespace", false),
              core("pods", "Pod", true),
              core("services", "Service", true),
              core("secrets", "Secret", true),
              core("configmaps", "ConfigMap", true),
              core("serviceaccounts", "ServiceAccount", true),
              core("events", "Event", true))
          .build();

  private static APIResource core(String plural, String kind, boolean namespaced) {
    return new APIResourceBuilder()
        .withName(plural)
        .withSingularName(kind.toLowerCase(java.util.Locale.ROOT))
        .withKind(kind)
        .withNamespaced(namespaced)
        .withVerbs("create", "delete", "get", "list", "patch", "update", "watch")
        .build();
  }
}
