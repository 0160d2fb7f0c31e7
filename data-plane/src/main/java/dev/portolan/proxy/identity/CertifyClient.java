package dev.portolan.proxy.identity;

import dev.portolan.api.identity.CertifyRequest;
import dev.portolan.api.identity.CertifyResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** One {@code io.linkerd.proxy.identity.Identity/Certify} call at a time. */
public interface CertifyClient extends AutoCloseable {
  /**
   * Completes with the answer, or exceptionally with a {@link
   * dev.portolan.proxy.grpc.GrpcStatusException} (or whatever else went wrong) within {@code
   * timeout}.
   */
  CompletableFuture<CertifyResponse> certify(CertifyRequest request, Duration timeout);

  @Override
  void close();
}
