/**
 * {@code portolan explain NS KIND NAME}: asks the policy-server why each port of a Pod or Service
 * has the protocol it has (portolan.v1 {@code Diagnostics/Explain}, docs/api.md) and prints the
 * answer for people.
 */
@NullMarked
package dev.portolan.tools.cli.explain;

import org.jspecify.annotations.NullMarked;
