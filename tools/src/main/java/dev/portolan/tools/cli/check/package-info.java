/**
 * {@code portolan check}: verifies an install of helm/portolan against the cluster, one {@link
 * dev.portolan.tools.cli.check.Check} per line, as {@code linkerd check} does. Each check reads
 * what the chart installed (names as helm/portolan/templates/_helpers.tpl makes them) through
 * fabric8 and says, on failure, what to do.
 */
@NullMarked
package dev.portolan.tools.cli.check;

import org.jspecify.annotations.NullMarked;
