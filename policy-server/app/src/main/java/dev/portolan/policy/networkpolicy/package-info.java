/**
 * The NetworkPolicy-aware rewrite in the server (docs/networkpolicy.md,
 * docs/design/networkpolicy.md): its install setting, and the conflict report (actuator, metric,
 * Warning Events, Explain) for clients whose rewrite to the inbound port is withheld.
 */
@NullMarked
package dev.portolan.policy.networkpolicy;

import org.jspecify.annotations.NullMarked;
