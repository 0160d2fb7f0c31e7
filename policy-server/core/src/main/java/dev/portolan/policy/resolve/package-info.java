/**
 * The rules, as pure functions over a {@link dev.portolan.policy.resolve.ClusterView}: inbound
 * policy, service profiles and endpoints, each answer carrying its provenance. Imports {@code
 * model} and the JDK.
 *
 * <p>Null-marked: a type is non-null unless written {@code @Nullable}.
 */
@NullMarked
package dev.portolan.policy.resolve;

import org.jspecify.annotations.NullMarked;
