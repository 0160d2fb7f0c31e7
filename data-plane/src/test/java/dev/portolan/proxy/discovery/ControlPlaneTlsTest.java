package dev.portolan.proxy.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portolan.api.destination.DestinationGrpc;
import dev.portolan.api.destination.DestinationProfile;
import dev.portolan.api.destination.GetDestination;
import dev.portolan.proxy.grpc.GrpcChannel;
import dev.portolan.proxy.grpc.GrpcStatusException;
import dev.portolan.proxy.identity.IdentityCertificate;
import dev.portolan.proxy.identity.IdentitySource;
import dev.portolan.proxy.identity.IdentityState;
import dev.portolan.proxy.identity.TestPki;
import dev.portolan.proxy.identity.TrustAnchors;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContextBuilder;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy's TLS to the policy-server against a real gRPC server asking for client certificates:
 * no certificate before the first Certify, the current one after, the renewed one on a new
 * connection after a renewal, and a server with another name refused.
 */
class ControlPlaneTlsTest {
  static final String SERVER =
      "portolan-policy.portolan.serviceaccount.identity.portolan.cluster.local";
  static final String ME = "web.shop.serviceaccount.identity.portolan.cluster.local";
  static final TestPki.Ca ROOT = TestPki.root("root");

  /** The serial of the client certificate of each call (-1: none). */
  private final List<BigInteger> seen = new CopyOnWriteArrayList<>();

  private final List<GrpcChannel> channels = new ArrayList<>();
  private final Source source = new Source();
  private Server server;

  @BeforeEach
  void start() throws Exception {
    TestPki.Leaf leaf = ROOT.leaf(SERVER, Duration.ofDays(1));
    ServerInterceptor peer =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            SSLSession s = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
            try {
              seen.add(((X509Certificate) s.getPeerCertificates()[0]).getSerialNumber());
            } catch (SSLPeerUnverifiedException e) {
              seen.add(BigInteger.valueOf(-1));
            }
            return next.startCall(call, headers);
          }
        };
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .sslContext(
                GrpcSslContexts.configure(
                        SslContextBuilder.forServer(leaf.keys().getPrivate(), leaf.cert()))
                    .clientAuth(ClientAuth.OPTIONAL)
                    .trustManager(ROOT.cert())
                    .build())
            .addService(
                ServerInterceptors.intercept(
                    new DestinationGrpc.DestinationImplBase() {
                      @Override
                      public void getProfile(
                          GetDestination request, StreamObserver<DestinationProfile> response) {
                        response.onNext(DestinationProfile.getDefaultInstance());
                        response.onCompleted();
                      }
                    },
                    peer))
            .build()
            .start();
  }

  @AfterEach
  void stop() {
    channels.forEach(GrpcChannel::close);
    server.shutdownNow();
  }

  /** The proxy's own gRPC client, with the context and authority Discovery gives it. */
  private void call(ControlPlaneTls tls) {
    GrpcChannel ch =
        GrpcChannel.standalone(
            "127.0.0.1:" + server.getPort(), tls.context(), tls.serverIdentity());
    channels.add(ch);
    ch.first(
            "/io.linkerd.proxy.destination.Destination/GetProfile",
            GetDestination.getDefaultInstance(),
            DestinationProfile.parser(),
            1 << 20,
            Duration.ofSeconds(10))
        .join();
  }

  @Test
  void presents_no_certificate_then_the_current_then_the_renewed_one() {
    ControlPlaneTls tls = ControlPlaneTls.create(source, SERVER);
    List<Boolean> firsts = new CopyOnWriteArrayList<>();
    tls.onFirstCertificate(() -> firsts.add(true));
    call(tls);
    assertThat(seen).containsExactly(BigInteger.valueOf(-1));
    assertThat(firsts).isEmpty();

    IdentityCertificate one = ROOT.leaf(ME, Duration.ofHours(1)).asIdentity(ME, 1);
    source.certify(one);
    assertThat(firsts).containsExactly(true);
    call(tls);
    IdentityCertificate two = ROOT.leaf(ME, Duration.ofHours(1)).asIdentity(ME, 2);
    source.certify(two);
    call(tls);
    assertThat(firsts).containsExactly(true);
    assertThat(seen)
        .containsExactly(
            BigInteger.valueOf(-1), one.leaf().getSerialNumber(), two.leaf().getSerialNumber());
  }

  @Test
  void a_server_with_another_identity_is_refused() {
    ControlPlaneTls tls =
        ControlPlaneTls.create(
            source, "other.portolan.serviceaccount.identity.portolan.cluster.local");
    assertThatThrownBy(() -> call(tls))
        .isInstanceOf(CompletionException.class)
        .cause()
        .isInstanceOfSatisfying(
            GrpcStatusException.class,
            e -> {
              assertThat(e.code()).isEqualTo(GrpcStatusException.Code.UNAVAILABLE);
              assertThat(e).hasMessageContaining("TLS handshake");
              assertThat(e).hasStackTraceContaining("expected identity other.portolan");
            });
    assertThat(seen).isEmpty();
  }

  /** An identity whose certificates the test hands out. */
  private static final class Source implements IdentitySource {
    private final List<Consumer<IdentityCertificate>> listeners = new CopyOnWriteArrayList<>();
    private volatile IdentityState state = new IdentityState.Pending(ME, "not yet");

    void certify(IdentityCertificate c) {
      state = new IdentityState.Valid(c);
      listeners.forEach(l -> l.accept(c));
    }

    @Override
    public String identity() {
      return ME;
    }

    @Override
    public IdentityState current() {
      return state;
    }

    @Override
    public void onCertificate(Consumer<IdentityCertificate> listener) {
      listeners.add(listener);
      if (state instanceof IdentityState.Valid v) {
        listener.accept(v.certificate());
      }
    }

    @Override
    public TrustAnchors trustAnchors() {
      return TrustAnchors.fromPem(ROOT.pem());
    }
  }
}
