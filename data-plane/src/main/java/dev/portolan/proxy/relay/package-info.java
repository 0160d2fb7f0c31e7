/** Byte relays between two connected sockets (Netty, io_uring, epoll) and their idle check. */
@NullMarked
package dev.portolan.proxy.relay;

import org.jspecify.annotations.NullMarked;
