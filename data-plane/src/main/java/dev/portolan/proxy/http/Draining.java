package dev.portolan.proxy.http;

import java.time.Duration;

/**
 * The user event the proxy fires into every accepted connection's pipeline when it begins to shut
 * down (docs/proxy.md, <i>Shutdown</i>): an HTTP/1 connection answers its current request with
 * {@code Connection: close} and closes (at once when idle); an HTTP/2 connection sends GOAWAY and
 * closes once its open streams are done, waiting at most {@code grace}. Relayed (opaque)
 * connections ignore it: they are kept until they close or the grace ends.
 *
 * @param grace how long the proxy waits for its connections before it exits
 */
public record Draining(Duration grace) {}
