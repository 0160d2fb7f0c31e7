/** Load balancing over a service's endpoints: power of two choices over peak-EWMA cost. */
@NullMarked
package dev.portolan.proxy.balance;

import org.jspecify.annotations.NullMarked;
