package dev.portolan.policy.model;

/**
 * A kubelet HTTP probe of a Pod (liveness, readiness or startup {@code httpGet} with scheme HTTP):
 * the kubelet sends a plaintext {@code GET path} to the Pod's IP on {@code port}. The probe
 * authorizations of docs/design/sources-and-precedence.md come from these.
 *
 * @param port the container port, a named port already resolved against its container
 * @param path the request path as the kubelet sends it ({@code /} when the probe names none)
 */
public record HttpProbe(int port, String path) {
  public HttpProbe {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("probe port " + port + " is not a port");
    }
    path = path.isEmpty() ? "/" : path;
  }
}
