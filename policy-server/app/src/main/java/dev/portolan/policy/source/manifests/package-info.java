/**
 * The embedded default source: a watched directory of Kubernetes YAML, parsed file by file within
 * limits.
 */
@NullMarked
package dev.portolan.policy.source.manifests;

import org.jspecify.annotations.NullMarked;
