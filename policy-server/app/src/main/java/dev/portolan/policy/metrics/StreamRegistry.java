package dev.portolan.policy.metrics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/** The open streams, for {@code /actuator/destinations}. */
@Component
public class StreamRegistry {
  // The key is rendered when listed, not per stream: streams of one topic share one key object.
  private final Map<OpenStream, Object> open = new ConcurrentHashMap<>();

  /** What the registry reads of a stream while it is open. */
  public interface OpenStream {
    /** The API it serves, e.g. destination.get. */
    String api();

    /** The version of the last value written; -1 before the first. */
    long lastSentVersion();

    /** The client is not reading: flow control holds the next write. */
    boolean waitingOnFlowControl();

    /** No drain is running or scheduled. */
    boolean idle();
  }

  /** Lists {@code stream} under {@code key}; returns the action that removes it when it closes. */
  public Runnable open(OpenStream stream, Object key) {
    open.put(stream, key);
    return () -> open.remove(stream);
  }

  /** One open stream: API, key, version last received, held by flow control, nothing to do. */
  public record StreamInfo(
      String api, String key, long lastSentVersion, boolean waitingOnFlowControl, boolean idle) {}

  public List<StreamInfo> list() {
    List<StreamInfo> out = new ArrayList<>();
    open.forEach((stream, key) ->
        out.add(
            new StreamInfo(
                stream.api(),
                String.valueOf(key),
                stream.lastSentVersion(),
                stream.waitingOnFlowControl(),
                stream.idle())));
    out.sort(Comparator.comparing(StreamInfo::api).thenComparing(StreamInfo::key));
    return out;
  }

  public int size() {
    return open.size();
  }
}
