package dev.portolan.policy.networkpolicy;

import dev.portolan.api.destination.Update;
import dev.portolan.api.destination.WeightedAddr;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/** A Get stream's current endpoint set, by dotted IPv4, as the adds and removes built it. */
final class Addresses implements StreamObserver<Update> {
  final Map<String, WeightedAddr> current = new ConcurrentHashMap<>();
  volatile @Nullable Throwable failure;

  @Override
  public void onNext(Update u) {
    if (u.hasAdd()) {
      u.getAdd().getAddrsList().forEach(a -> current.put(ip(a), a));
    } else if (u.hasRemove()) {
      u.getRemove().getAddrsList().forEach(a -> current.remove(ip(a)));
    }
  }

  @Override
  public void onError(Throwable t) {
    failure = t;
  }

  @Override
  public void onCompleted() {}

  @Nullable WeightedAddr get(String ip) {
    return current.get(ip);
  }

  /** Whether the address is there and told to rewrite to the inbound port. */
  boolean rewritten(String ip) {
    WeightedAddr a = get(ip);
    return a != null && a.getProtocolHint().hasOpaqueTransport();
  }

  /** Whether the address is there, opaque, not rewritten, with its TLS identity. */
  boolean keptOnAppPortWithMtls(String ip) {
    WeightedAddr a = get(ip);
    return a != null
        && a.getProtocolHint().hasOpaque()
        && !a.getProtocolHint().hasOpaqueTransport()
        && a.hasTlsIdentity();
  }

  static String ip(WeightedAddr a) {
    return ip(a.getAddr());
  }

  static String ip(dev.portolan.api.net.TcpAddress t) {
    int v = t.getIp().getIpv4();
    return (v >>> 24) + "." + ((v >>> 16) & 255) + "." + ((v >>> 8) & 255) + "." + (v & 255);
  }
}
