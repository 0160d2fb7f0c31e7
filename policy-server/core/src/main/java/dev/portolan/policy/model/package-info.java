/**
 * The cluster as the rules see it: trimmed records of the Kubernetes objects, the port-list grammar
 * ({@link dev.portolan.policy.model.PortListParser}) and provenance. Pure values; imports only the
 * JDK.
 *
 * <p>Null-marked: a type is non-null unless written {@code @Nullable}.
 */
@NullMarked
package dev.portolan.policy.model;

import org.jspecify.annotations.NullMarked;
