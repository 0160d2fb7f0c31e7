package dev.portolan.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portolan.proxy.testbed.JavaProcess;
import dev.portolan.proxy.testbed.TestBed;

/** A real redis-server in a pod, and redis-benchmark runs against it. */
public final class Redis {
  private Redis() {}

  public static JavaProcess server(TestBed bed, String pod, int port) throws InterruptedException {
    JavaProcess p =
        bed.background(
            pod,
            "redis-server",
            "--port",
            Integer.toString(port),
            "--bind",
            "0.0.0.0",
            "--protected-mode",
            "no",
            "--save",
            "",
            "--appendonly",
            "no");
    p.awaitContaining("Ready to accept connections");
    return p;
  }

  /** Runs {@code -t ping,set,get} and asserts every test completed. */
  public static String benchmark(TestBed bed, String fromPod, String host, int port, int requests) {
    String out =
        bed.pod(fromPod)
            .run(
                "redis-benchmark",
                "-h",
                host,
                "-p",
                Integer.toString(port),
                "-n",
                Integer.toString(requests),
                "-c",
                "10",
                "-t",
                "ping,set,get",
                "-q")
            .replace('\r', '\n');
    System.out.println("redis-benchmark via " + host + ":" + port + ":\n" + out);
    assertThat(out)
        .as(out)
        .contains("PING_INLINE:")
        .contains("SET:")
        .contains("GET:")
        .doesNotContainIgnoringCase("error");
    return out;
  }
}
