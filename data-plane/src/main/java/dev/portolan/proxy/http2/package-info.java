/**
 * HTTP/2 and gRPC, frame by frame: the client connection's handler, one exchange per stream, the
 * per-loop connection to each endpoint, and the internals that keep it cheap (write batching, heap
 * frame buffers, forwarded DATA under flow control), package-private here. Entry: {@code
 * Http2Proxy.install}. Imports {@code http}, {@code relay}, {@code net}, never {@code http1} or
 * {@code connection}.
 */
@NullMarked
package dev.portolan.proxy.http2;

import org.jspecify.annotations.NullMarked;
