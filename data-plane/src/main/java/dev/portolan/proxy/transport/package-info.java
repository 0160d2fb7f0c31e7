/**
 * The transport header sent after the mTLS handshake on opaque-transport connections
 * (docs/design/wire.md).
 */
@NullMarked
package dev.portolan.proxy.transport;

import org.jspecify.annotations.NullMarked;
