/**
 * "Why is this port opaque?": looks an object up in the index and turns each port's decision into
 * an {@link dev.portolan.policy.explain.Explanation} once, then encodes that one view two ways: the
 * actuator's JSON ({@code /actuator/opaqueports/...}) and the portolan.v1 {@code
 * Diagnostics/Explain} answer. The {@code web} and {@code grpc} adapters only call it and map its
 * errors to their status codes.
 */
@NullMarked
package dev.portolan.policy.explain;

import org.jspecify.annotations.NullMarked;
