package dev.portolan.proxy.http2;

import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The statuses a {@code Health/Watch} stream delivers, in order, for a test to take one by one. */
final class Statuses implements StreamObserver<HealthCheckResponse> {
  private final BlockingQueue<ServingStatus> seen = new LinkedBlockingQueue<>();

  /** The next status, waiting up to 10 s; null if none came. */
  ServingStatus next() throws InterruptedException {
    return seen.poll(10, TimeUnit.SECONDS);
  }

  @Override
  public void onNext(HealthCheckResponse r) {
    seen.add(r.getStatus());
  }

  @Override
  public void onError(Throwable t) {}

  @Override
  public void onCompleted() {}
}
