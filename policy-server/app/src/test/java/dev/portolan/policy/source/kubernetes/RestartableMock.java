package dev.portolan.policy.source.kubernetes;

import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A CRUD-mode mock API server on loopback that can be stopped and started again on the same port
 * with its objects intact (the store lives in the dispatcher), and that can answer the next pod
 * watches with 410 Gone, as an API server does after compaction.
 */
final class RestartableMock implements AutoCloseable {
  private static final String EXPIRED =
      "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
          + "\"status\":\"Failure\",\"message\":\"too old resource version\","
          + "\"reason\":\"Expired\",\"code\":410}}";
  private final KubernetesCrudDispatcher store = new KubernetesCrudDispatcher();
  private final AtomicInteger goneWatches = new AtomicInteger();
  private final Dispatcher dispatcher =
      new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          String path = request.getPath();
          if (path.startsWith("/api/v1/pods")
              && path.contains("watch=true")
              && goneWatches.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            // As a real API server does: the watch opens, then an ERROR event carries the 410.
            return new MockResponse()
                .withWebSocketUpgrade(
                    new WebSocketListener() {
                      @Override
                      public void onOpen(WebSocket ws, Response response) {
                        ws.send(EXPIRED);
                        ws.close(1000, "expired");
                      }
                    });
          }
          return store.dispatch(request);
        }
      };
  private final int port;
  private KubernetesMockServer server;

  RestartableMock() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    start();
  }

  void start() {
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), port);
  }

  void stop() {
    server.destroy();
  }

  /** The next {@code n} pod watch requests get 410 Gone. */
  void expireNextPodWatches(int n) {
    goneWatches.set(n);
  }

  NamespacedKubernetesClient client() {
    return server.createClient();
  }

  @Override
  public void close() {
    server.destroy();
  }
}
