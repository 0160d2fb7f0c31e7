/**
 * The actuator adapters: diagnostic endpoints, source health and the loopback gate on management
 * paths.
 */
@NullMarked
package dev.portolan.policy.web;

import org.jspecify.annotations.NullMarked;
