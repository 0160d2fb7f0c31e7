package dev.portolan.policy.grpc;

import dev.portolan.api.destination.Update;
import dev.portolan.policy.index.Versioned;
import dev.portolan.policy.resolve.EndpointSet;
import io.grpc.stub.ServerCallStreamObserver;
import org.jspecify.annotations.Nullable;

/**
 * Destination.Get: the first answer, then only the removes and adds since what this stream last
 * sent (docs/design/streams.md), each message at most about {@code max-update-size}.
 *
 * <p>All it keeps is references to shared wire views ({@link EndpointsWire}): what the client has
 * ({@code sent}), what it is being brought to ({@code target}), the shared difference between the
 * two, and how far along it is. A change that arrives while a large answer is still going out waits
 * until that answer is complete, then the stream moves to the newest value: the client's state is
 * always "sent, plus a prefix of the way to target": two views, the shared messages between them
 * (built once per change for all the streams that take that step) and a counter.
 */
final class GetPump extends StreamPump<EndpointSet, Encoded<Update>> {
  private final WireCache.Slot<EndpointSet, EndpointsWire> wire;
  private final int maxBytes;
  private EndpointsWire.View sent = EndpointsWire.View.EMPTY;
  private boolean sentAnything;
  private boolean sentExists;
  private EndpointsWire.@Nullable View target;
  // The shared messages from sent to target, and how many of them this stream has written.
  private Encoded<Update> @Nullable [] messages;
  private int at;

  GetPump(
      ServerCallStreamObserver<Encoded<Update>> call,
      Pumps pumps,
      WireCache.Slot<EndpointSet, EndpointsWire> wire) {
    super("destination.get", call, pumps);
    this.wire = wire;
    this.maxBytes = pumps.maxUpdateBytes();
  }

  @Override
  @Nullable Encoded<Update> next(Versioned<EndpointSet> v) {
    while (true) {
      EndpointsWire.View t = target;
      Encoded<Update>[] m = messages;
      if (t == null || m == null) {
        t = wire.wire(v).view(v.overlay());
        if (t == sent && sentAnything) {
          return null;
        }
        m = t.deltaFrom(sent).messages(sent, t, maxBytes);
        target = t;
        messages = m;
        at = 0;
      }
      if (at < m.length) {
        return m[at++];
      }
      boolean announceEmpty =
          t.size() == 0 && (!sentAnything || sent.size() != 0 || sentExists != t.exists());
      sent = t;
      sentExists = t.exists();
      sentAnything = true;
      target = null;
      messages = null;
      if (announceEmpty) {
        return new Encoded<>(
            Update.newBuilder().setNoEndpoints(Translator.noEndpoints(t.exists())).build());
      }
      // Complete; loop: the topic may have moved on while this value went out.
    }
  }
}
