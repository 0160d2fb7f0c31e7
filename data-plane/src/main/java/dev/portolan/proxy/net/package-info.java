/**
 * The Linux sockets under the proxy: the I/O transport (io_uring or epoll), socket options and the
 * original destination through Netty's raw socket options.
 */
@NullMarked
package dev.portolan.proxy.net;

import org.jspecify.annotations.NullMarked;
