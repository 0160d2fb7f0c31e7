package dev.portolan.policy.identity;

import dev.portolan.policy.identity.CertifyRefused.Reason;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * A call to the API server bounded in time. fabric8 retries a failing API server with backoff for
 * far longer than a proxy waits for Certify, so Certify gives up first and says why; the call runs
 * on its own virtual thread and is left to finish (or fail) in the background.
 */
final class ApiCall {
  private ApiCall() {}

  /**
   * @param what names the call in the refusal ("TokenReview", "reading Secret ns/name")
   * @param hint appended when the API server answered with an error (the likely fix)
   */
  static <T> T within(Duration timeout, Reason reason, String what, String hint, Supplier<T> call)
      throws CertifyRefused {
    CompletableFuture<T> f =
        CompletableFuture.supplyAsync(
            call, task -> Thread.ofVirtual().name("api-call").start(task));
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new CertifyRefused(
          reason,
          what + " got no answer within " + timeout + " (API server unreachable or failing)");
    } catch (ExecutionException e) {
      // Names the HTTP status only: the request (a token) is never part of the message.
      Throwable cause = e.getCause();
      String why =
          cause instanceof KubernetesClientException k
              ? "HTTP " + k.getCode()
              : cause == null ? "unknown error" : cause.getClass().getSimpleName();
      throw new CertifyRefused(reason, what + " failed (" + why + ")" + hint);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CertifyRefused(reason, "interrupted waiting for " + what);
    }
  }
}
