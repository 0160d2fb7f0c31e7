/** The policy-server's settings under {@code portolan.*}. */
@NullMarked
package dev.portolan.policy.config;

import org.jspecify.annotations.NullMarked;
