/**
 * Warning Events (docs/operations.md, "Kubernetes Events"): one recorder, two sinks. In cluster
 * mode they are written to the API server; with the manifests source, which has no API server, they
 * are kept in memory and listed read-only on {@code /actuator/events}.
 */
@NullMarked
package dev.portolan.policy.events;

import org.jspecify.annotations.NullMarked;
