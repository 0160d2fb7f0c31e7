package dev.portolan.policy.events;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One Event as Portolan writes it to Kubernetes, whatever the sink. {@code name} is the
 * deduplication key: a sink keeps the first Event of a name and ignores the later ones, as the API
 * server does (409 Conflict).
 *
 * @param namespace where the Event lives ({@code default} for a cluster-scoped object)
 * @param name the Event's name, derived from the object, reason and problem
 * @param type {@code Warning}
 * @param message at most {@link #MAX_MESSAGE} characters
 * @param count always 1: a repeat is the same name, so it is not written again
 */
public record WarningEvent(
    String namespace,
    String name,
    InvolvedObject involvedObject,
    String type,
    String reason,
    String message,
    String component,
    Instant firstTimestamp,
    int count) {

  /** Longer messages are cut: the API server refuses Events with very long messages. */
  public static final int MAX_MESSAGE = 1000;

  public WarningEvent {
    if (message.length() > MAX_MESSAGE) {
      message = message.substring(0, MAX_MESSAGE);
    }
  }

  /**
   * The object the Event is about.
   *
   * @param namespace null for a cluster-scoped object
   * @param uid null when the source does not know it (the manifests source never does)
   */
  public record InvolvedObject(
      String apiVersion,
      String kind,
      @Nullable String namespace,
      String name,
      @Nullable String uid) {}
}
