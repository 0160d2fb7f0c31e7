/** The policy-server's entry point and the Spring wiring of the pure core and the chosen source. */
@NullMarked
package dev.portolan.policy;

import org.jspecify.annotations.NullMarked;
