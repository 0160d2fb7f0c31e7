/**
 * The proxy injector's admission webhook: HTTPS on its own port (9443), beside the actuator,
 * serving the injection logic of {@code dev.portolan.inject} (docs/injector.md).
 */
@NullMarked
package dev.portolan.policy.inject;

import org.jspecify.annotations.NullMarked;
