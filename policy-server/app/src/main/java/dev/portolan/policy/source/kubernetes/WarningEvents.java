package dev.portolan.policy.source.kubernetes;

import dev.portolan.policy.model.Resource;
import dev.portolan.policy.model.TokenReport;
import dev.portolan.policy.source.TokenReports;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a Kubernetes Warning Event on an object whose annotations have invalid tokens.
 *
 * <p>Deduplication: the Event's name is derived from the object's UID and the problem text, so a
 * resync, a restart or another replica that finds the same problem creates the same name and gets
 * 409 Conflict instead of a second Event. A changed problem gets a new Event.
 */
public final class WarningEvents implements TokenReports.Listener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WarningEvents.class);
  static final String REASON = "InvalidPortToken";
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
    writer.execute(() -> write(resource, reports));
  }

  private void write(Resource resource, List<TokenReport> reports) {
    String kind =
        switch (resource.kind()) {
          case NAMESPACE -> "Namespace";
          case POD -> "Pod";
          case SERVICE -> "Service";
          default -> null;
        };
    if (kind == null) {
      return;
    }
    String uid = uids.apply(resource.key()).orElse("");
    String message =
        reports.stream()
            .map(r -> r.field() + ": " + r.token())
            .collect(
                Collectors.joining("; ", "invalid port tokens dropped (valid ones apply): ", ""));
    String ns = resource.namespace().isEmpty() ? "default" : resource.namespace();
    String name = resource.name() + ".portolan-" + hash(uid + "\n" + message);
    String now = Instant.now().toString();
    var event =
        new EventBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .endMetadata()
            .withType("Warning")
            .withReason(REASON)
            .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion("v1")
                    .withKind(kind)
                    .withNamespace(resource.namespace().isEmpty() ? null : resource.namespace())
                    .withName(resource.name())
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
        log.warn("cannot write Warning Event for {}: {}", resource.key(), e.getMessage());
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
