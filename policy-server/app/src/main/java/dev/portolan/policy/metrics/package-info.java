/**
 * Portolan's own observability, shared by the adapters: the Micrometer meters ({@link
 * dev.portolan.policy.metrics.PortolanMetrics}) and the registry of open streams ({@link
 * dev.portolan.policy.metrics.StreamRegistry}). {@code grpc} reports into it, {@code web} reads it.
 */
@NullMarked
package dev.portolan.policy.metrics;

import org.jspecify.annotations.NullMarked;
