package dev.portolan.policy.grpc;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/** The open streams, for {@code /actuator/destinations}. */
@Component
public class StreamRegistry {
  private final Map<StreamPump<?, ?>, String> open = new ConcurrentHashMap<>();

  void open(StreamPump<?, ?> pump, String key) {
    open.put(pump, key);
    pump.onClose(() -> open.remove(pump));
  }

  /** One open stream: API, key, version last received, held by flow control, nothing to do. */
  public record StreamInfo(
      String api, String key, long lastSentVersion, boolean waitingOnFlowControl, boolean idle) {}

  public List<StreamInfo> list() {
    List<StreamInfo> out = new ArrayList<>();
    open.forEach((pump, key) ->
        out.add(
            new StreamInfo(
                pump.api(),
                key,
                pump.lastSentVersion(),
                pump.waitingOnFlowControl(),
                pump.idle())));
    out.sort(Comparator.comparing(StreamInfo::api).thenComparing(StreamInfo::key));
    return out;
  }

  public int size() {
    return open.size();
  }
}
