package dev.portolan.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP relay on epoll: {@link UringRelay}'s counterpart for nodes without io_uring (container
 * runtimes often forbid it). Both sockets leave Netty's channels as there, and the relay reads and
 * writes them itself with plain {@code read}/{@code write} calls when epoll reports them ready, the
 * way HAProxy does: per direction one buffer, a read into it, the write of what was read at once
 * (not at the next turn of the loop), the next read only when that write is complete.
 *
 * <p>Each socket is added to the loop's epoll set once, edge-triggered, for input, output and the
 * peer's half-close, and never modified afterwards: no {@code epoll_ctl} per message. The relay
 * remembers what an event reported: a socket stays readable until a read finds it empty (or reads
 * less than asked, which empties it), writable until a write is refused or partial. The peer's FIN,
 * once reported, keeps its socket readable until the end of stream is read.
 *
 * <p>A read of end of stream becomes {@code shutdown(SHUT_WR)} of the other socket; the pair closes
 * when both directions have ended, on any error, or when idle ({@link IdleCheck}), and hands both
 * channels back to their loop to be closed ({@link Takeover}).
 */
final class EpollRelay {
  private static final Logger log = LoggerFactory.getLogger(EpollRelay.class);
  private static final EpollIoOps INTEREST =
      EpollIoOps.EPOLLIN
          .with(EpollIoOps.EPOLLOUT)
          .with(EpollIoOps.EPOLLRDHUP)
          .with(EpollIoOps.EPOLLET);

  // At 16 KiB per read, 256 KiB of one direction before the loop serves other connections.
  static final int READS_PER_TURN = 16;

  private final IoEventLoop loop;
  private final Channel a;
  private final Channel b;
  private final Side sideA;
  private final Side sideB;
  private final Direction aToB;
  private final Direction bToA;
  private final IdleCheck idle;
  private final int readsPerTurn;
  private boolean closed;

  private EpollRelay(
      IoEventLoop loop,
      Channel a,
      Channel b,
      LongAdder aToBBytes,
      LongAdder bToABytes,
      Duration t,
      int readsPerTurn) {
    this.loop = loop;
    this.readsPerTurn = readsPerTurn;
    this.a = a;
    this.b = b;
    this.sideA = new Side(a);
    this.sideB = new Side(b);
    this.aToB = new Direction(sideA, sideB, aToBBytes);
    this.bToA = new Direction(sideB, sideA, bToABytes);
    this.idle = IdleCheck.start(a, t, this::closePair);
  }

  /**
   * Relays between two connected channels of one epoll event loop, with nothing pending on either
   * (no read asked for, every write completed): the caller's part is done.
   *
   * @param aToB counts bytes read from {@code a} and written to {@code b}
   * @param idleTimeout the pair closes once neither side has moved a byte for this long
   */
  static void join(Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout) {
    join(a, b, aToB, bToA, idleTimeout, READS_PER_TURN);
  }

  /** As {@link #join(Channel, Channel, LongAdder, LongAdder, Duration)}, with a read budget. */
  static void join(
      Channel a,
      Channel b,
      LongAdder aToB,
      LongAdder bToA,
      Duration idleTimeout,
      int readsPerTurn) {
    IoEventLoop loop = (IoEventLoop) a.eventLoop();
    Takeover.of(
        a,
        b,
        (earlyA, earlyB) -> {
          EpollRelay relay = new EpollRelay(loop, a, b, aToB, bToA, idleTimeout, readsPerTurn);
          loop.register(relay.sideA)
              .addListener(fa ->
                  loop.register(relay.sideB)
                      .addListener(fb -> relay.registered(fa, fb, earlyA, earlyB)));
        });
  }

  private void registered(Future<?> fa, Future<?> fb, ByteBuf earlyA, ByteBuf earlyB) {
    IoRegistration ra = fa.isSuccess() ? (IoRegistration) fa.getNow() : null;
    IoRegistration rb = fb.isSuccess() ? (IoRegistration) fb.getNow() : null;
    sideA.registration = ra;
    sideB.registration = rb;
    try {
      if (ra == null || rb == null) {
        throw new IOException("could not register with the event loop");
      }
      ra.submit(INTEREST);
      rb.submit(INTEREST);
    } catch (IOException | RuntimeException e) {
      log.debug("relay: could not take over {} and {}: {}", a, b, e.toString());
      earlyA.release();
      earlyB.release();
      closePair();
      return;
    }
    // Not known yet whether either socket has bytes: both are tried once.
    aToB.start(earlyA);
    bToA.start(earlyB);
  }

  /** One socket of the pair, as epoll sees it. */
  private final class Side implements EpollIoHandle {
    final Channel channel;
    final Socket socket;
    // Null until registered with the loop, and when that failed.
    @Nullable IoRegistration registration;
    boolean readable = true;
    boolean finReported;
    boolean writable = true;

    Side(Channel channel) {
      this.channel = channel;
      this.socket = (Socket) ((UnixChannel) channel).fd();
    }

    @Override
    public FileDescriptor fd() {
      return socket;
    }

    @Override
    public void handle(IoRegistration r, IoEvent event) {
      if (closed) {
        return;
      }
      EpollIoOps ops = ((EpollIoEvent) event).ops();
      if (ops.contains(EpollIoOps.EPOLLERR)) {
        closePair(); // reset, unreachable, …: the error is the socket's, the pair ends
        return;
      }
      if (ops.contains(EpollIoOps.EPOLLRDHUP)) {
        finReported = true;
      }
      if (ops.contains(EpollIoOps.EPOLLOUT)) {
        writable = true;
        out().pump();
      }
      if (!closed && (ops.contains(EpollIoOps.EPOLLIN) || finReported)) {
        readable = true;
        in().pump();
      }
    }

    /** The event loop is shutting down. */
    @Override
    public void close() {
      closePair();
    }

    /** The direction that reads from this socket. */
    private Direction in() {
      return this == sideA ? aToB : bToA;
    }

    /** The direction that writes to this socket. */
    private Direction out() {
      return this == sideA ? bToA : aToB;
    }
  }

  /** One direction: reads from one socket, writes what it read to the other. */
  private final class Direction {
    final Side from;
    final Side to;
    final LongAdder bytes;
    final RelayBuffer buf;
    final Runnable resumeTask = this::resume;
    int length;
    int sent;
    boolean ended;
    boolean resumeScheduled;

    Direction(Side from, Side to, LongAdder bytes) {
      this.from = from;
      this.to = to;
      this.bytes = bytes;
      this.buf = new RelayBuffer(from.channel.alloc());
    }

    /** Relays what was read before the takeover, if anything, then reads. */
    void start(ByteBuf early) {
      if (early.isReadable()) {
        length = buf.fill(early);
        sent = 0;
        bytes.add(length);
      } else {
        early.release();
      }
      pump();
    }

    /**
     * Writes what is pending, then reads and writes on while both sockets let it, for at most the
     * pair's read budget ({@link #READS_PER_TURN} reads): a bulk transfer between two fast sockets
     * then lets the loop's other connections have their turn, and goes on in a scheduled task of
     * the loop (no event would come for a socket that stayed readable: the set is edge-triggered).
     * The loop takes the due scheduled tasks once per pass: a direction has at most one turn per
     * event of its sockets and one in the task between two polls for I/O.
     */
    void pump() {
      int reads = 0;
      try {
        while (!closed) {
          if (sent < length) {
            if (!to.writable) {
              return; // EPOLLOUT comes when the other side has room again
            }
            int n = to.socket.writeAddress(buf.address(), sent, length);
            if (n == 0) {
              to.writable = false;
              return;
            }
            idle.active = true;
            sent += n;
            if (sent < length) {
              continue; // the rest, now or refused (then EPOLLOUT)
            }
            buf.passedOn(length);
            length = 0;
            sent = 0;
          }
          if (ended || !from.readable) {
            return;
          }
          if (++reads > readsPerTurn) {
            if (!resumeScheduled) {
              resumeScheduled = true;
              // Scheduled, not executed: the loop takes its due scheduled tasks once per pass,
              // after polling for I/O, while a task executed from a task runs in the same pass
              // (for up to a second): the other connections would wait for the whole transfer.
              loop.schedule(resumeTask, 0, TimeUnit.NANOSECONDS);
            }
            return;
          }
          int n = from.socket.readAddress(buf.address(), 0, buf.capacity());
          if (n == 0) {
            from.readable = false; // EAGAIN: the next data or FIN brings an event
            return;
          }
          if (n < 0) {
            endOfStream();
            return;
          }
          idle.active = true;
          bytes.add(n);
          // A short read emptied the socket, unless its FIN is known to be waiting behind.
          if (n < buf.capacity() && !from.finReported) {
            from.readable = false;
          }
          length = n;
          sent = 0;
        }
      } catch (IOException e) {
        closePair(); // reset, broken pipe, …
      }
    }

    private void resume() {
      resumeScheduled = false;
      pump();
    }

    /** FIN from this direction's source: pass it on; the pair closes when both have ended. */
    private void endOfStream() throws IOException {
      ended = true;
      if ((this == aToB ? bToA : aToB).ended) {
        closePair();
      } else {
        to.socket.shutdown(false, true);
      }
    }
  }

  /** Leaves epoll, frees the buffers, hands both channels back to be closed. */
  private void closePair() {
    if (closed) {
      return;
    }
    closed = true;
    for (Side s : new Side[] {sideA, sideB}) {
      IoRegistration r = s.registration;
      if (r != null) {
        r.cancel();
      }
    }
    aToB.buf.release();
    bToA.buf.release();
    Takeover.handBack(a);
    Takeover.handBack(b);
  }
}
