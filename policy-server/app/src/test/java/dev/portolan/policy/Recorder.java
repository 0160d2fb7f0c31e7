package dev.portolan.policy;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what a server stream sends, for Awaitility assertions. */
public final class Recorder<T> implements StreamObserver<T> {
  private final List<T> values = new CopyOnWriteArrayList<>();
  private volatile Throwable error;
  private volatile boolean completed;

  @Override
  public void onNext(T value) {
    values.add(value);
  }

  @Override
  public void onError(Throwable t) {
    error = t;
  }

  @Override
  public void onCompleted() {
    completed = true;
  }

  public List<T> values() {
    return List.copyOf(values);
  }

  public T last() {
    return values.isEmpty() ? null : values.getLast();
  }

  public int size() {
    return values.size();
  }

  public Throwable error() {
    return error;
  }

  public Status status() {
    return error == null ? null : Status.fromThrowable(error);
  }

  public boolean completed() {
    return completed;
  }
}
