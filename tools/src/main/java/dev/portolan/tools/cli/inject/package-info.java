/** {@code portolan inject}: the proxy injector over YAML manifests, for GitOps (docs/cli.md). */
@NullMarked
package dev.portolan.tools.cli.inject;

import org.jspecify.annotations.NullMarked;
