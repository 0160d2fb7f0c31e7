/**
 * What the HTTP/1 and HTTP/2 proxies share: the listener's context, request metrics, the proxy's
 * own error responses.
 */
@NullMarked
package dev.portolan.proxy.http;

import org.jspecify.annotations.NullMarked;
