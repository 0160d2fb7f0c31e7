/**
 * Protocol detection from a connection's first bytes (docs/design/detection.md): pure functions, no
 * I/O.
 */
@NullMarked
package dev.portolan.proxy.detect;

import org.jspecify.annotations.NullMarked;
