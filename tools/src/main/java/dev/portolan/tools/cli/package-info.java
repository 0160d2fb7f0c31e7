/**
 * The {@code portolan} command line (bin/portolan): one entry point, {@link
 * dev.portolan.tools.cli.Portolan}, dispatching to one {@link dev.portolan.tools.cli.Command} per
 * sub-command. No Spring: it starts in a fraction of a second and talks to the cluster through
 * fabric8 and to the policy-server through gRPC. docs/cli.md is the user's guide.
 */
@NullMarked
package dev.portolan.tools.cli;

import org.jspecify.annotations.NullMarked;
