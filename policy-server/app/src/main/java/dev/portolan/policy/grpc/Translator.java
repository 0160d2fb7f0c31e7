package dev.portolan.policy.grpc;

import com.google.protobuf.Duration;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.NoEndpoints;
import dev.portolan.api.destination.ProtocolHint;
import dev.portolan.api.destination.RetryBudget;
import dev.portolan.api.destination.TlsIdentity;
import dev.portolan.api.destination.WeightedAddr;
import dev.portolan.api.inbound.ProxyProtocol;
import dev.portolan.api.inbound.Server;
import dev.portolan.api.net.IPAddress;
import dev.portolan.api.net.IPv6;
import dev.portolan.api.net.TcpAddress;
import dev.portolan.policy.model.EffectiveProtocol;
import dev.portolan.policy.model.Protocol;
import dev.portolan.policy.model.Provenance;
import dev.portolan.policy.resolve.Endpoint;
import dev.portolan.policy.resolve.Profile;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/** Domain values → Linkerd-wire-compatible protobuf. Nothing else in Portolan knows protobuf. */
public final class Translator {
  static final int ENDPOINT_WEIGHT = 10_000;
  private static final RetryBudget DEFAULT_RETRY_BUDGET =
      RetryBudget.newBuilder()
          .setRetryRatio(0.2f)
          .setMinRetriesPerSecond(10)
          .setTtl(Duration.newBuilder().setSeconds(10))
          .build();

  private Translator() {}

  public static WeightedAddr weightedAddr(Endpoint e) {
    WeightedAddr.Builder b =
        WeightedAddr.newBuilder()
            .setAddr(tcpAddress(e.ip(), e.port()))
            .setWeight(ENDPOINT_WEIGHT)
            .putAllMetricLabels(e.labels());
    if (e.identity() != null) {
      TlsIdentity.DnsLikeIdentity name =
          TlsIdentity.DnsLikeIdentity.newBuilder().setName(e.identity()).build();
      b.setTlsIdentity(TlsIdentity.newBuilder().setDnsLikeIdentity(name).setServerName(name));
    }
    if (e.hint() != null) {
      ProtocolHint.Builder h = ProtocolHint.newBuilder();
      if (e.hint().opaque()) {
        h.setOpaque(ProtocolHint.Opaque.getDefaultInstance());
      } else {
        h.setH2(ProtocolHint.H2.getDefaultInstance());
      }
      if (e.hint().opaqueTransportPort() > 0) {
        h.setOpaqueTransport(
            ProtocolHint.OpaqueTransport.newBuilder()
                .setInboundPort(e.hint().opaqueTransportPort()));
      }
      b.setProtocolHint(h);
    }
    return b.build();
  }

  public static DestinationProfile profile(Profile p) {
    DestinationProfile.Builder b =
        DestinationProfile.newBuilder()
            .setRetryBudget(DEFAULT_RETRY_BUDGET)
            .setOpaqueProtocol(p.opaque())
            .setFullyQualifiedName(p.fullyQualifiedName());
    if (p.endpoint() != null) {
      b.setEndpoint(weightedAddr(p.endpoint()));
    }
    return b.build();
  }

  public static NoEndpoints noEndpoints(boolean exists) {
    return NoEndpoints.newBuilder().setExists(exists).build();
  }

  /** Labels give provenance: kind default|server and the deciding name (docs/design/streams.md). */
  public static Server inboundServer(EffectiveProtocol decision) {
    Server.Builder b = Server.newBuilder().setProtocol(proxyProtocol(decision.protocol()));
    switch (decision.provenance()) {
      case Provenance.ServerRule s ->
          b.putLabels("group", "policy.linkerd.io")
              .putLabels("kind", "server")
              .putLabels("name", s.server().name());
      case Provenance.Annotation a ->
          b.putLabels("group", "")
              .putLabels("kind", "default")
              .putLabels("name", a.object().kind().toLowerCase() + ":" + a.key());
      case Provenance.Skip s ->
          b.putLabels("group", "")
              .putLabels("kind", "default")
              .putLabels("name", "skip-inbound-ports");
      default ->
          b.putLabels("group", "")
              .putLabels("kind", "default")
              .putLabels("name", "all-unauthenticated");
    }
    b.putLabels("portolan.dev/provenance", decision.provenance().source());
    return b.build();
  }

  public static ProxyProtocol proxyProtocol(Protocol p) {
    ProxyProtocol.Builder b = ProxyProtocol.newBuilder();
    switch (p) {
      case Protocol.Detect d ->
          b.setDetect(
              ProxyProtocol.Detect.newBuilder()
                  .setTimeout(
                      Duration.newBuilder()
                          .setSeconds(d.timeout().getSeconds())
                          .setNanos(d.timeout().getNano())));
      case Protocol.Opaque o -> b.setOpaque(ProxyProtocol.Opaque.getDefaultInstance());
      case Protocol.Http1 h -> b.setHttp1(ProxyProtocol.Http1.getDefaultInstance());
      case Protocol.Http2 h -> b.setHttp2(ProxyProtocol.Http2.getDefaultInstance());
      case Protocol.Grpc g -> b.setGrpc(ProxyProtocol.Grpc.getDefaultInstance());
      case Protocol.Tls t -> b.setTls(ProxyProtocol.Tls.getDefaultInstance());
    }
    return b.build();
  }

  public static TcpAddress tcpAddress(String ip, int port) {
    return TcpAddress.newBuilder().setIp(ipAddress(ip)).setPort(port).build();
  }

  /** An IP literal (never a host name: no DNS lookup happens for literals). */
  public static IPAddress ipAddress(String ip) {
    InetAddress addr;
    try {
      addr = InetAddress.ofLiteral(ip);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not an IP literal: " + ip, e);
    }
    if (addr instanceof Inet4Address v4) {
      return IPAddress.newBuilder().setIpv4(ByteBuffer.wrap(v4.getAddress()).getInt()).build();
    }
    ByteBuffer b = ByteBuffer.wrap(((Inet6Address) addr).getAddress());
    return IPAddress.newBuilder()
        .setIpv6(IPv6.newBuilder().setFirst(b.getLong()).setLast(b.getLong()))
        .build();
  }
}
