package dev.portolan.proxy.peers;

import dev.portolan.proxy.testbed.TestBed;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real nginx in a pod: HTTP/1.1 on 8080 and h2c (prior knowledge) on 8081. {@code /slow} answers
 * {@link #SLOW_BYTES} bytes at 64 KiB/s (about four seconds): a request that is still in flight
 * when something happens to the proxies.
 */
public final class Nginx {
  public static final int SLOW_BYTES = 256 * 1024;

  private Nginx() {}

  /**
   * Starts nginx in {@code pod}, answering {@code body} to every request.
   *
   * @param keepaliveRequests requests per client connection before nginx retires it (a GOAWAY or a
   *     {@code Connection: close}): small to test the proxies' handling of it, huge for a benchmark
   */
  public static void start(TestBed bed, String pod, String body, int keepaliveRequests)
      throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("portolan-nginx-" + pod);
    Path conf = dir.resolve("nginx.conf");
    Files.write(dir.resolve("slow.bin"), new byte[SLOW_BYTES]);
    // nginx's worker runs as nobody: it has to read the file through the test's temp directory.
    Files.setPosixFilePermissions(
        dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(
        dir.resolve("slow.bin"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(
        conf,
        """
        daemon off;
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log stderr notice;
        events { worker_connections 1024; }
        http {
          access_log off;
          keepalive_requests %3$d;
          client_body_temp_path %1$s/body;
          proxy_temp_path %1$s/proxy;
          fastcgi_temp_path %1$s/fastcgi;
          uwsgi_temp_path %1$s/uwsgi;
          scgi_temp_path %1$s/scgi;
          server {
            listen 8080;
            listen 8081 http2;
            http2_max_concurrent_streams 1000;
            location / { return 200 "%2$s\\n"; }
            location = /slow {
              alias %1$s/slow.bin;
              default_type application/octet-stream;
              limit_rate 64k;
            }
          }
        }
        """
            .formatted(dir, body, keepaliveRequests));
    bed.background(pod, "nginx", "-c", conf.toString(), "-e", "stderr")
        .awaitContaining("start worker process");
  }
}
