package dev.portolan.policy.grpc;

import dev.portolan.api.destination.AddrSet;
import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.api.destination.WeightedAddrSet;
import dev.portolan.api.net.TcpAddress;
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
 * always "sent, plus a prefix of the way to target", which two references and two counters
 * describe.
 */
final class GetPump extends StreamPump<EndpointSet, Update> {
  private static final int PER_ADDRESS_OVERHEAD = 4; // field tag and length prefix
  private final WireCache.Slot<EndpointSet, EndpointsWire> wire;
  private final int maxBytes;
  private EndpointsWire.View sent = EndpointsWire.View.EMPTY;
  private boolean sentAnything;
  private boolean sentExists;
  private EndpointsWire.@Nullable View target;
  private EndpointsWire.@Nullable Delta delta;
  private int removeAt;
  private int addAt;

  GetPump(
      ServerCallStreamObserver<Update> call,
      Pumps pumps,
      WireCache.Slot<EndpointSet, EndpointsWire> wire) {
    super("destination.get", call, pumps);
    this.wire = wire;
    this.maxBytes = pumps.maxUpdateBytes();
  }

  @Override
  @Nullable Update next(Versioned<EndpointSet> v) {
    while (true) {
      EndpointsWire.View t = target;
      EndpointsWire.Delta d = delta;
      if (t == null || d == null) {
        t = wire.wire(v).view(v.overlay());
        if (t == sent && sentAnything) {
          return null;
        }
        d = t.deltaFrom(sent);
        target = t;
        delta = d;
        removeAt = 0;
        addAt = 0;
      }
      Update u = removes(d);
      if (u == null) {
        u = adds(t, d);
      }
      if (u != null) {
        return u;
      }
      boolean announceEmpty =
          t.size() == 0 && (!sentAnything || sent.size() != 0 || sentExists != t.exists());
      sent = t;
      sentExists = t.exists();
      sentAnything = true;
      target = null;
      delta = null;
      if (announceEmpty) {
        return Update.newBuilder().setNoEndpoints(Translator.noEndpoints(t.exists())).build();
      }
      // Complete; loop: the topic may have moved on while this value went out.
    }
  }

  /**
   * The next remove of addresses the client has and the target lacks, or null when none is left.
   */
  private @Nullable Update removes(EndpointsWire.Delta d) {
    AddrSet.Builder b = null;
    int bytes = 0;
    for (; removeAt < d.removed().length; removeAt++) {
      TcpAddress addr = sent.addr(d.removed()[removeAt]).getAddr();
      int size = addr.getSerializedSize() + PER_ADDRESS_OVERHEAD;
      if (b != null && bytes + size > maxBytes) {
        break;
      }
      if (b == null) {
        b = AddrSet.newBuilder();
      }
      b.addAddrs(addr);
      bytes += size;
    }
    return b == null ? null : Update.newBuilder().setRemove(b).build();
  }

  /** The next add of addresses that are new or changed, or null when none is left. */
  private @Nullable Update adds(EndpointsWire.View t, EndpointsWire.Delta d) {
    WeightedAddrSet.Builder b = null;
    int bytes = 0;
    for (; addAt < d.added().length; addAt++) {
      WeightedAddr a = t.addr(d.added()[addAt]);
      int size = a.getSerializedSize() + PER_ADDRESS_OVERHEAD;
      if (b != null && bytes + size > maxBytes) {
        break;
      }
      if (b == null) {
        b = WeightedAddrSet.newBuilder().putAllMetricLabels(t.labels());
      }
      b.addAddrs(a);
      bytes += size;
    }
    return b == null ? null : Update.newBuilder().setAdd(b).build();
  }
}
