package dev.portolan.inject;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * One AdmissionReview v1 in, one out: the webhook's whole protocol, with no HTTP in it (the
 * policy-server serves it over HTTPS). Every request that can be answered is answered {@code
 * allowed: true}; a Pod is never refused, whatever its annotations, and not even when the injector
 * itself fails (docs/injector.md, "Failure policy").
 */
public final class AdmissionHandler {
  private static final Logger LOG = LoggerFactory.getLogger(AdmissionHandler.class);
  private static final String API_VERSION = "admission.k8s.io/v1";
  private static final String PREFIX = "portolan injector: ";
  private static final int MAX_REMEMBERED_FAILURES = 64;

  /**
   * What happened to one request.
   *
   * @param status the HTTP status: 200, or 400 when the body is not an AdmissionReview
   * @param body the AdmissionReview response (JSON), or a line of text with 400
   * @param result {@code injected}, {@code skipped}, {@code ignored} (not a Pod creation), {@code
   *     error} (the injector failed; admitted) or {@code invalid} (400)
   */
  public record Answer(int status, byte[] body, String result, List<String> warnings) {
    public Answer {
      warnings = List.copyOf(warnings);
    }
  }

  private final Injector injector;
  private final NamespaceLookup namespaces;
  private final Set<String> loggedFailures = ConcurrentHashMap.newKeySet();

  public AdmissionHandler(Injector injector, NamespaceLookup namespaces) {
    this.injector = injector;
    this.namespaces = namespaces;
  }

  /**
   * Runs one made-up Pod through the whole path once. The first AdmissionReview otherwise pays for
   * loading and linking fabric8's model and Jackson's deserializers: seconds on a busy node,
   * against the API server's webhook timeout (10 s by default) for a real Pod.
   */
  public void warmUp() {
    String review =
        """
        {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
          "uid":"warm-up","kind":{"group":"","version":"v1","kind":"Pod"},
          "resource":{"group":"","version":"v1","resource":"pods"},
          "namespace":"warm-up","operation":"CREATE",
          "object":{"apiVersion":"v1","kind":"Pod",
            "metadata":{"generateName":"warm-up-","annotations":{"linkerd.io/inject":"enabled"}},
            "spec":{"containers":[{"name":"app","image":"app","ports":[{"containerPort":80}]}]}}}}
        """;
    handle(review.getBytes(StandardCharsets.UTF_8), false);
  }

  public Answer handle(byte[] body) {
    return handle(body, true);
  }

  private Answer handle(byte[] body, boolean log) {
    JsonNode tree;
    try {
      tree = Json.MAPPER.readTree(body);
    } catch (JacksonException e) {
      return invalid("the body is not JSON: " + e.getOriginalMessage());
    }
    String uid = tree.path("request").path("uid").asString("");
    if (uid.isBlank()) {
      return invalid("not an AdmissionReview request: no request.uid");
    }
    String apiVersion = tree.path("apiVersion").asString("");
    if (!API_VERSION.equals(apiVersion)) {
      return invalid("apiVersion '" + apiVersion + "' is not served; " + API_VERSION + " is");
    }
    // From here on the request can be answered, so it is: whatever goes wrong, the Pod is admitted
    // (without a proxy) and the warning says so.
    try {
      AdmissionReview review = Json.MAPPER.treeToValue(tree, AdmissionReview.class);
      return answer(review.getRequest(), log);
    } catch (RuntimeException e) {
      String warning =
          "the injector failed ("
              + e.getClass().getSimpleName()
              + "): the pod is admitted without a proxy";
      if (log) {
        logOnce(uid, tree.path("request").path("namespace").asString(""), e);
      }
      return respond(uid, null, List.of(warning), "error");
    }
  }

  private Answer answer(AdmissionRequest request, boolean log) {
    var kind = request.getKind();
    boolean isPod =
        kind != null
            && "Pod".equals(kind.getKind())
            && (kind.getGroup() == null || kind.getGroup().isEmpty())
            && request.getSubResource() == null;
    if (!isPod || !"CREATE".equals(request.getOperation()) || request.getObject() == null) {
      return respond(request.getUid(), null, List.of(), "ignored");
    }
    Pod pod =
        request.getObject() instanceof Pod p
            ? p
            : Json.MAPPER.convertValue(request.getObject(), Pod.class);
    String namespace = namespaceOf(request, pod);
    Injection result = injector.inject(pod, namespace, namespaces);
    return switch (result) {
      case Injection.Injected i -> {
        if (log && !i.warnings().isEmpty()) {
          LOG.info("{}: injected with warnings: {}", describe(request, pod), i.warnings());
        }
        yield respond(request.getUid(), i.patch().toString(), i.warnings(), "injected");
      }
      case Injection.Skipped s -> {
        LOG.debug("{}: not injected: {}", describe(request, pod), s.reason());
        yield respond(request.getUid(), null, s.warnings(), "skipped");
      }
    };
  }

  private static String namespaceOf(AdmissionRequest request, Pod pod) {
    if (request.getNamespace() != null && !request.getNamespace().isEmpty()) {
      return request.getNamespace();
    }
    var meta = pod.getMetadata();
    return meta != null && meta.getNamespace() != null && !meta.getNamespace().isEmpty()
        ? meta.getNamespace()
        : "default";
  }

  private static Answer respond(
      String uid, @Nullable String patch, List<String> warnings, String result) {
    AdmissionResponseBuilder response =
        new AdmissionResponseBuilder().withUid(uid).withAllowed(true);
    if (patch != null) {
      response
          .withPatchType("JSONPatch")
          .withPatch(Base64.getEncoder().encodeToString(patch.getBytes(StandardCharsets.UTF_8)));
    }
    if (!warnings.isEmpty()) {
      List<String> prefixed = new ArrayList<>(warnings.size());
      warnings.forEach(w -> prefixed.add(PREFIX + w));
      response.withWarnings(prefixed);
    }
    AdmissionResponse r = response.build();
    AdmissionReview out =
        new AdmissionReviewBuilder()
            .withApiVersion(API_VERSION)
            .withKind("AdmissionReview")
            .withResponse(r)
            .build();
    return new Answer(200, Json.MAPPER.writeValueAsBytes(out), result, warnings);
  }

  private static Answer invalid(String why) {
    return new Answer(400, (why + "\n").getBytes(StandardCharsets.UTF_8), "invalid", List.of());
  }

  /**
   * The stack trace once per kind of failure (a bug fails every Pod alike; one trace says it all),
   * a line per request after that.
   */
  private void logOnce(String uid, String namespace, RuntimeException e) {
    StackTraceElement[] at = e.getStackTrace();
    String key = e.getClass().getName() + "@" + (at.length > 0 ? at[0] : "?");
    boolean first =
        loggedFailures.size() < MAX_REMEMBERED_FAILURES ? loggedFailures.add(key) : false;
    if (first) {
      LOG.error(
          "request {} (namespace {}): the injector failed; the pod is admitted without a proxy",
          uid,
          namespace,
          e);
    } else {
      LOG.warn(
          "request {} (namespace {}): the injector failed again: {}; the pod is admitted without"
              + " a proxy",
          uid,
          namespace,
          e.toString());
    }
  }

  private static String describe(AdmissionRequest request, Pod pod) {
    var meta = pod.getMetadata();
    String name =
        meta == null
            ? "?"
            : meta.getName() != null && !meta.getName().isEmpty()
                ? meta.getName()
                : (meta.getGenerateName() == null ? "?" : meta.getGenerateName() + "*");
    return "pod " + namespaceOf(request, pod) + "/" + name;
  }
}
