package dev.portolan.policy.source.kubernetes;

import dev.portolan.policy.index.Change;
import dev.portolan.policy.model.Resource;
import dev.portolan.policy.source.ClusterSink;
import dev.portolan.policy.source.KubeObjects;
import dev.portolan.policy.source.SyncState;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster source: one fabric8 informer per resource, all namespaces, resync off, objects
 * trimmed before they are cached. Readiness waits until every informer has synced; start-up fails
 * at once without the Server CRD (naming it), else after the sync timeout, naming what did not
 * sync. A watch that fails is retried; an informer that stops anyway is restarted with backoff. One
 * event's failure is logged, counted and skipped.
 */
public final class KubernetesSource implements AutoCloseable {
  public static final String NAME = "kubernetes";

  /**
   * Servers are read at v1beta3; the API server converts objects stored at v1beta1/v1beta2. The
   * plural is given so no discovery round trip is needed.
   */
  public static final ResourceDefinitionContext SERVERS =
      new ResourceDefinitionContext.Builder()
          .withGroup(KubeObjects.SERVER_GROUP)
          .withVersion("v1beta3")
          .withKind("Server")
          .withPlural("servers")
          .withNamespaced(true)
          .build();

  private static final Logger log = LoggerFactory.getLogger(KubernetesSource.class);

  private final KubernetesClient client;
  private final ClusterSink sink;
  private final SyncState sync;
  private final Duration syncTimeout;
  private final MeterRegistry registry;
  private final List<Watched<?>> watched = new ArrayList<>();
  private final ScheduledExecutorService restarts =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("portolan-informer-restart").unstarted(r));
  private volatile boolean closing;

  public KubernetesSource(
      KubernetesClient client,
      ClusterSink sink,
      SyncState sync,
      Duration syncTimeout,
      MeterRegistry registry) {
    this.client = client;
    this.sink = sink;
    this.sync = sync;
    this.syncTimeout = syncTimeout;
    this.registry = registry;
    sync.register(NAME);
    watched.add(new Watched<>("namespaces", () -> client.namespaces().runnableInformer(0)));
    watched.add(new Watched<>("pods", () -> client.pods().inAnyNamespace().runnableInformer(0)));
    watched.add(
        new Watched<>("services", () -> client.services().inAnyNamespace().runnableInformer(0)));
    watched.add(
        new Watched<>(
            "endpointslices",
            () -> client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0)));
    watched.add(
        new Watched<>(
            "servers.policy.linkerd.io",
            () -> client.genericKubernetesResources(SERVERS).inAnyNamespace().runnableInformer(0)));
    watched.add(
        new Watched<>(
            "networkpolicies",
            () -> client.network().v1().networkPolicies().inAnyNamespace().runnableInformer(0)));
  }

  /**
   * Starts every informer and waits for all to sync, at most the sync timeout. Fails at once if the
   * Server CRD is missing: that does not heal by waiting, and the message says what to install.
   */
  public void start() {
    long deadline = System.nanoTime() + syncTimeout.toNanos();
    List<CompletableFuture<Void>> started = new ArrayList<>();
    for (Watched<?> w : watched) {
      started.add(w.start());
    }
    // Checked while the informers sync, so a healthy start waits no longer for it.
    CompletableFuture<ServerCrdCheck.Result> crd =
        CompletableFuture.supplyAsync(
            () -> ServerCrdCheck.check(client),
            r -> Thread.ofVirtual().name("portolan-crd-check").start(r));
    try {
      switch (await(crd, deadline)) {
        case ServerCrdCheck.Result.Missing m -> {
          close();
          throw new IllegalStateException(m.problem());
        }
        case ServerCrdCheck.Result.Unknown u ->
            log.info("could not check the Server CRD ({}); waiting for the informers", u.reason());
        case ServerCrdCheck.Result.Served _ -> {}
      }
      CompletableFuture.allOf(started.toArray(CompletableFuture[]::new))
          .get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      List<String> missing =
          watched.stream().filter(w -> !w.synced()).map(w -> w.resource).toList();
      close();
      throw new IllegalStateException(
          "Kubernetes informers did not sync within "
              + syncTimeout
              + " (portolan.kubernetes.sync-timeout): "
              + missing
              + ". Likely causes: the API server is unreachable from here, or RBAC does not allow "
              + "list/watch on these resources for this service account (see docs/operations.md).");
    } catch (ExecutionException e) {
      close();
      throw new IllegalStateException(
          "Kubernetes informer failed to start: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for informers", e);
    }
    sync.markSynced(NAME);
    log.info("kubernetes source synced: {}", watched.stream().map(w -> w.resource).toList());
  }

  /** The CRD check's answer; unknown if it has none by the deadline (an unreachable server). */
  private static ServerCrdCheck.Result await(
      CompletableFuture<ServerCrdCheck.Result> crd, long deadline) throws InterruptedException {
    try {
      return crd.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return new ServerCrdCheck.Result.Unknown("no answer within the sync timeout");
    } catch (ExecutionException e) {
      return new ServerCrdCheck.Result.Unknown(String.valueOf(e.getCause()));
    }
  }

  private static long remainingMillis(long deadline) {
    return Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
  }

  /** The UID of a cached object, for Events; empty when unknown. */
  public Optional<String> uid(Resource.Key key) {
    String resource =
        switch (key.kind()) {
          case NAMESPACE -> "namespaces";
          case POD -> "pods";
          case SERVICE -> "services";
          case ENDPOINT_SLICE -> "endpointslices";
          case SERVER -> "servers.policy.linkerd.io";
          case NETWORK_POLICY -> "networkpolicies";
        };
    String storeKey = key.namespace().isEmpty() ? key.name() : key.namespace() + "/" + key.name();
    for (Watched<?> w : watched) {
      if (w.resource.equals(resource) && w.informer != null) {
        HasMetadata obj = w.informer.getStore().getByKey(storeKey);
        return obj == null ? Optional.empty() : Optional.ofNullable(obj.getMetadata().getUid());
      }
    }
    return Optional.empty();
  }

  @Override
  public void close() {
    closing = true;
    restarts.shutdownNow();
    for (Watched<?> w : watched) {
      if (w.informer != null) {
        w.informer.stop();
      }
    }
  }

  /** One resource: its informer (replaced on restart) and its meters. */
  private final class Watched<T extends HasMetadata> implements ResourceEventHandler<T> {
    final String resource;
    final Supplier<SharedIndexInformer<T>> factory;
    final Counter errors;
    volatile @Nullable SharedIndexInformer<T> informer;
    volatile long lastEventMillis = System.currentTimeMillis();
    int restartCount;

    Watched(String resource, Supplier<SharedIndexInformer<T>> factory) {
      this.resource = resource;
      this.factory = factory;
      this.errors =
          Counter.builder("portolan.source.event.errors")
              .tag("resource", resource)
              .description("Informer events whose handling failed (logged and skipped)")
              .register(registry);
      Gauge.builder(
              "portolan.source.last.event.age",
              this,
              w -> (System.currentTimeMillis() - w.lastEventMillis) / 1000.0)
          .tag("resource", resource)
          .baseUnit("seconds")
          .description("Time since the last event of this resource")
          .register(registry);
    }

    boolean synced() {
      SharedIndexInformer<T> i = informer;
      return i != null && i.hasSynced();
    }

    CompletableFuture<Void> start() {
      SharedIndexInformer<T> i = factory.get();
      i.itemStore(new TrimmingStore<>());
      i.addEventHandler(this);
      // Keep retrying the watch on any error; a stopped informer is restarted below.
      // Closing (start-up failed, or shutdown) may race a retry: stop quietly then.
      i.exceptionHandler((isStarted, t) -> {
        if (closing) {
          return false;
        }
        log.warn("{} watch failed (retrying): {}", resource, t.toString());
        return true;
      });
      informer = i;
      i.stopped()
          .whenComplete((v, t) -> {
            if (!closing && informer == i) {
              scheduleRestart(t);
            }
          });
      return i.start().toCompletableFuture();
    }

    private void scheduleRestart(Throwable cause) {
      long delay = Math.min(30_000, 500L << Math.min(restartCount++, 6));
      delay += ThreadLocalRandom.current().nextLong(delay / 2 + 1);
      log.warn(
          "{} informer stopped ({}); restarting in {} ms",
          resource,
          cause == null ? "no error" : cause.toString(),
          delay);
      restarts.schedule(
          () -> {
            if (!closing) {
              start().thenRun(() -> restartCount = 0);
            }
          },
          delay,
          TimeUnit.MILLISECONDS);
    }

    @Override
    public void onAdd(T obj) {
      handle(obj, false);
    }

    @Override
    public void onUpdate(T oldObj, T newObj) {
      handle(newObj, false);
    }

    @Override
    public void onDelete(T obj, boolean finalStateUnknown) {
      handle(obj, true);
    }

    private void handle(T obj, boolean deleted) {
      lastEventMillis = System.currentTimeMillis();
      try {
        Optional<Resource> r = KubeObjects.convert(obj);
        if (r.isEmpty()) {
          return;
        }
        Change c = deleted ? new Change.Delete(r.get().key()) : new Change.Upsert(r.get());
        sink.apply(List.of(c));
      } catch (RuntimeException e) {
        errors.increment();
        log.error(
            "skipping {} event for {}/{}: {}",
            resource,
            obj.getMetadata() == null ? "?" : obj.getMetadata().getNamespace(),
            obj.getMetadata() == null ? "?" : obj.getMetadata().getName(),
            e.toString(),
            e);
      }
    }
  }

  /** The informer's cache, holding trimmed objects. */
  private static final class TrimmingStore<T extends HasMetadata> extends BasicItemStore<T> {
    TrimmingStore() {
      super(Cache::metaNamespaceKeyFunc);
    }

    @Override
    public T put(String key, T obj) {
      return super.put(key, Trim.trim(obj));
    }
  }
}
