/**
 * The front door: one accepted connection from its route to its hand-over. {@code ProxyConnection}
 * asks the listener's router for a {@code Route}, detects the protocol when the route says so (and
 * races a server that speaks first), then hands the connection to the HTTP proxy of its version
 * ({@code HttpProxies}) or connects upstream and joins the pair to the relay chosen at start. Only
 * the entry point imports this package; it imports the protocol rooms ({@code http1}, {@code
 * http2}) and what stands below them, never the reverse.
 */
@NullMarked
package dev.portolan.proxy.connection;

import org.jspecify.annotations.NullMarked;
