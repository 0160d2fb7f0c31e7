/**
 * The index: immutable snapshots of the cluster, the single writer that applies changes, and the
 * topics subscribers watch. Imports {@code model}, {@code resolve} and the JDK.
 *
 * <p>Null-marked: a type is non-null unless written {@code @Nullable}.
 */
@NullMarked
package dev.portolan.policy.index;

import org.jspecify.annotations.NullMarked;
