package dev.portolan.proxy.relay;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Where an accepted connection goes and how.
 *
 * @param upstream the address to connect to
 * @param detect whether to run protocol detection first (false: opaque, relay at once)
 * @param detectTimeout how long detection may wait for client bytes
 * @param target the {@code target_addr} metric label
 */
public record Route(
    InetSocketAddress upstream, boolean detect, Duration detectTimeout, String target) {}
