package dev.portolan.policy.source.kubernetes;

import dev.portolan.policy.model.ObjectRef;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.model.TokenReport;
import dev.portolan.policy.networkpolicy.NetworkPolicyConflicts;
import dev.portolan.policy.resolve.ServerShadowing;
import dev.portolan.policy.source.KubeObjects;
import dev.portolan.policy.source.ShadowedServers;
import dev.portolan.policy.source.TokenReports;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Kubernetes Warning Events: on an object whose annotations have invalid tokens, and on a
 * Server shadowed by an older one.
 *
 * <p>Deduplication: the Event's name is derived from the object's UID and the problem text, so a
 * resync, a restart or another replica that finds the same problem creates the same name and gets
 * 409 Conflict instead of a second Event. A changed problem gets a new Event.
 */
public final class WarningEvents
    implements TokenReports.Listener,
        ShadowedServers.Listener,
        NetworkPolicyConflicts.Listener,
        AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WarningEvents.class);
  static final String REASON = "InvalidPortToken";
  static final String SHADOWED = "ShadowedServer";
  static final String NETWORK_POLICY = "NetworkPolicyBlocksInboundPort";
  static final String COMPONENT = "portolan-policy-server";

  private final KubernetesClient client;
  private final Function<Resource.Key, Optional<String>> uids;
  // Writing Events is I/O: never on the informer's thread.
  private final ExecutorService writer =
      Executors.newSingleThreadExecutor(
          r -> Thread.ofPlatform().daemon().name("portolan-events").unstarted(r));

  /**
   * @param uids looks up an object's UID in the informer caches (the Event's involvedObject)
   */
  public WarningEvents(KubernetesClient client, Function<Resource.Key, Optional<String>> uids) {
    this.client = client;
    this.uids = uids;
  }

  @Override
  public void invalidTokens(Resource resource, List<TokenReport> reports) {
    String kind =
        switch (resource.kind()) {
          case NAMESPACE -> "Namespace";
          case POD -> "Pod";
          case SERVICE -> "Service";
          case SERVER -> "Server";
          default -> null;
        };
    if (kind == null) {
      return;
    }
    boolean server = resource.kind() == Resource.Kind.SERVER;
    String message =
        reports.stream()
            .map(r -> r.field() + ": " + r.token())
            .collect(
                Collectors.joining(
                    "; ",
                    // A Server's only annotation read is its detect timeout: one value, no list.
                    server
                        ? "annotation ignored (the install default applies): "
                        : "invalid port tokens dropped (valid ones apply): ",
                    ""));
    String apiVersion = server ? KubeObjects.SERVER_GROUP + "/v1beta3" : "v1";
    writer.execute(() -> warn(resource.key(), apiVersion, kind, REASON, message));
  }

  @Override
  public void shadowed(ServerShadowing.Shadowed s) {
    String message =
        "shadowed by the older "
            + s.winner()
            + " (e.g. on "
            + s.pod()
            + " port "
            + s.port()
            + "): the oldest Server selecting a port wins";
    Resource.Key key =
        new Resource.Key(Resource.Kind.SERVER, s.server().namespace(), s.server().name());
    writer.execute(
        () -> warn(key, KubeObjects.SERVER_GROUP + "/v1beta3", "Server", SHADOWED, message));
  }

  /**
   * Once per policy generation (docs/networkpolicy.md): the Event's name hashes the policy's UID
   * and {@code metadata.generation}, read from the API server, not the message, so the report
   * changing its list of clients does not repeat it; editing the policy's spec does.
   */
  @Override
  public void conflicts(ObjectRef policy, String message) {
    Resource.Key key =
        new Resource.Key(Resource.Kind.NETWORK_POLICY, policy.namespace(), policy.name());
    writer.execute(() -> {
      String generation = "";
      try {
        NetworkPolicy np =
            client
                .network()
                .v1()
                .networkPolicies()
                .inNamespace(policy.namespace())
                .withName(policy.name())
                .get();
        if (np != null && np.getMetadata().getGeneration() != null) {
          generation = np.getMetadata().getGeneration().toString();
        }
      } catch (KubernetesClientException e) {
        log.debug("cannot read {} for its generation: {}", policy, e.getMessage());
      }
      warn(key, "networking.k8s.io/v1", "NetworkPolicy", NETWORK_POLICY, message, generation);
    });
  }

  private void warn(
      Resource.Key key, String apiVersion, String kind, String reason, String message) {
    warn(key, apiVersion, kind, reason, message, null);
  }

  /**
   * @param generation when not null, the Event is deduplicated by it instead of by the message
   */
  private void warn(
      Resource.Key key,
      String apiVersion,
      String kind,
      String reason,
      String message,
      @Nullable String generation) {
    String uid = uids.apply(key).orElse("");
    String ns = key.namespace().isEmpty() ? "default" : key.namespace();
    String dedup = generation != null ? "generation " + generation : message;
    String name = key.name() + ".portolan-" + hash(uid + "\n" + reason + "\n" + dedup);
    String now = Instant.now().toString();
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .endMetadata()
            .withType("Warning")
            .withReason(reason)
            .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(apiVersion)
                    .withKind(kind)
                    .withNamespace(key.namespace().isEmpty() ? null : key.namespace())
                    .withName(key.name())
                    .withUid(uid.isEmpty() ? null : uid)
                    .build())
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .build();
    try {
      client.v1().events().inNamespace(ns).resource(event).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        log.warn("cannot write Warning Event for {}: {}", key, e.getMessage());
      }
    }
  }

  private static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    writer.shutdownNow();
  }
}
