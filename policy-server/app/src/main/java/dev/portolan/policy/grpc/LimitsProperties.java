package dev.portolan.policy.grpc;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * What one client may cost the gRPC port ({@code portolan.limits.*}; docs/operations.md, Limits).
 * Every refusal is a gRPC status with a short message and a count in {@code
 * portolan_grpc_refused_total{reason}}; every stream the server closes is counted in {@code
 * portolan_grpc_closed_total{reason}}.
 *
 * @param maxStreamsPerConnection open streams one connection may hold; the next is refused
 *     (RESOURCE_EXHAUSTED). A proxy holds about two per destination it talks to and one per inbound
 *     port. HTTP/2 itself stops a client at twice this.
 * @param newStreamsPerSecond the rate at which one connection may open streams, after its burst
 * @param newStreamsBurst streams a connection may open at once (a proxy starting up)
 * @param maxRequestSize the largest request message accepted; Destination and inbound requests are
 *     a path or a workload and a token, well under a kilobyte
 * @param maxUpdateSize the largest message the server writes when it can choose: a large endpoint
 *     set goes out as several {@code add} messages of about this size, each written only while less
 *     than this much is queued for the stream, so a stream whose client does not read holds at most
 *     about twice this on the server until it is closed
 * @param unreadStreamTimeout a stream the client has not read from for this long, with data
 *     waiting, is closed (and its buffers freed)
 * @param warningInterval at most one log line per interval for each kind of repeated client error
 *     (unreadable context tokens, refusals); the counters count every one
 */
@ConfigurationProperties("portolan.limits")
public record LimitsProperties(
    @DefaultValue("2000") int maxStreamsPerConnection,
    @DefaultValue("200") int newStreamsPerSecond,
    @DefaultValue("2000") int newStreamsBurst,
    @DefaultValue("16KB") DataSize maxRequestSize,
    @DefaultValue("8KB") DataSize maxUpdateSize,
    @DefaultValue("30s") Duration unreadStreamTimeout,
    @DefaultValue("60s") Duration warningInterval) {

  public LimitsProperties {
    positive("max-streams-per-connection", maxStreamsPerConnection);
    positive("new-streams-per-second", newStreamsPerSecond);
    positive("new-streams-burst", newStreamsBurst);
    positive("max-request-size", maxRequestSize.toBytes());
    positive("max-update-size", maxUpdateSize.toBytes());
    positive("unread-stream-timeout", unreadStreamTimeout.toMillis());
  }

  /** The defaults, for servers built without Spring. */
  public static LimitsProperties defaults() {
    return new LimitsProperties(
        2000,
        200,
        2000,
        DataSize.ofKilobytes(16),
        DataSize.ofKilobytes(8),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60));
  }

  private static void positive(String name, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(
          "portolan.limits." + name + " must be positive, got " + value);
    }
  }
}
