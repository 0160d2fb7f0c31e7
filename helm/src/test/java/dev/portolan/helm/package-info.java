/** Tests of the Helm chart in helm/portolan: rendered with helm-java, checked with fabric8. */
@org.jspecify.annotations.NullMarked
package dev.portolan.helm;
