/**
 * HTTP/1.x, request by request: the client codec and its proxy, one exchange per request, the
 * per-loop pool of kept-alive upstream connections, and the switch to a byte relay after a 101 or a
 * CONNECT. Entry: {@code Http1Proxy.install}. Imports {@code http}, {@code relay}, {@code net},
 * never {@code http2} or {@code connection}.
 */
@NullMarked
package dev.portolan.proxy.http1;

import org.jspecify.annotations.NullMarked;
