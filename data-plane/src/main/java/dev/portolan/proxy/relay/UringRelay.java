package dev.portolan.proxy.relay;

import dev.portolan.proxy.net.IoTransport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.uring.IoUringIoEvent;
import io.netty.channel.uring.IoUringIoHandle;
import io.netty.channel.uring.IoUringIoOps;
import io.netty.util.concurrent.Future;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The TCP relay on io_uring. Once a connection's route is decided and its upstream connected, both
 * sockets leave Netty's channel machinery (they are deregistered, not closed) and this one handle
 * drives them on the pair's event loop with its own submissions: per direction one buffer, one recv
 * into it, its send when the recv completes, the next recv only when the send has completed. That
 * is the same write-completion pacing as {@link Relay} (a slow side holds back the fast one; at
 * most one buffer per direction), without a pipeline, a promise, a listener or an allocation per
 * message: the relay's share of user CPU fell by about 60% (docs/benchmarks.md).
 *
 * <p>A recv that did not fill its buffer drained the socket; the next one asks the kernel to wait
 * for data first ({@code IORING_RECVSEND_POLL_FIRST}) rather than try a receive that would fail.
 *
 * <p>A recv of 0 bytes (FIN) becomes a {@code shutdown(SHUT_WR)} of the other socket; the pair
 * closes when both directions have ended, on any error, or when idle ({@link IdleCheck}). Closing
 * first cancels the operations in flight and waits for their completions (the kernel may write into
 * a buffer until then), then frees the buffers and hands both channels back to their loop to close
 * them, so their close listeners (metrics, the balancer) run as for any connection.
 *
 * <p>Each direction's buffer is a {@link RelayBuffer} (2 KiB, 16 KiB while a transfer fills it).
 */
final class UringRelay implements IoUringIoHandle {
  // io_uring opcodes (include/uapi/linux/io_uring.h) and flags
  private static final byte IORING_OP_ASYNC_CANCEL = 14;
  private static final byte IORING_OP_SEND = 26;
  private static final byte IORING_OP_RECV = 27;
  private static final byte IORING_OP_SHUTDOWN = 34;
  private static final int MSG_NOSIGNAL = 0x4000;
  // In a recv's ioprio: arm the poll first instead of trying the socket, which would fail with
  // EAGAIN when the previous recv drained it (request/response traffic: nearly always).
  private static final short IORING_RECVSEND_POLL_FIRST = 1;
  private static final int SHUT_WR = 1;
  // Our tag in each submission, returned with its completion.
  private static final short CONTROL = 9;

  private final Channel a;
  private final Channel b;
  private final Direction aToB;
  private final Direction bToA;
  private final IdleCheck idle;
  // Null until registered with the loop (and for good when that failed).
  private @Nullable IoRegistration registration;
  private int inFlight;
  private boolean closing;
  private boolean released;

  private UringRelay(Channel a, Channel b, LongAdder aToBBytes, LongAdder bToABytes, Duration t) {
    this.a = a;
    this.b = b;
    int fa = IoTransport.fd(a);
    int fb = IoTransport.fd(b);
    this.aToB = new Direction((short) 1, fa, fb, aToBBytes);
    this.bToA = new Direction((short) 3, fb, fa, bToABytes);
    this.idle = IdleCheck.start(a, t, this::closePair);
  }

  /**
   * Relays between two connected channels of one io_uring event loop, with nothing pending on
   * either (no read asked for, every write completed): the caller's part is done.
   *
   * @param aToB counts bytes read from {@code a} and written to {@code b}
   * @param idleTimeout the pair closes once neither side has moved a byte for this long
   */
  static void join(Channel a, Channel b, LongAdder aToB, LongAdder bToA, Duration idleTimeout) {
    IoEventLoop loop = (IoEventLoop) a.eventLoop();
    Takeover.of(
        a,
        b,
        (earlyA, earlyB) -> {
          UringRelay relay = new UringRelay(a, b, aToB, bToA, idleTimeout);
          loop.register(relay).addListener(f -> relay.registered(f, earlyA, earlyB));
        });
  }

  private void registered(Future<? super IoRegistration> f, ByteBuf earlyA, ByteBuf earlyB) {
    if (!f.isSuccess()) {
      earlyA.release();
      earlyB.release();
      closing = true;
      finish();
      return;
    }
    registration = (IoRegistration) f.getNow();
    aToB.start(earlyA);
    bToA.start(earlyB);
  }

  /** One direction: reads from one socket, writes what it read to the other. */
  private final class Direction {
    final short recvTag;
    final short sendTag;
    final int from;
    final int to;
    final LongAdder bytes;
    final RelayBuffer buf = new RelayBuffer(a.alloc());
    long pending; // the operation in flight (its user data), 0 when none
    int length;
    int sent;
    boolean ended;
    // The last recv left the socket empty (it did not fill the buffer): the next one waits first.
    boolean drained;

    Direction(short tag, int from, int to, LongAdder bytes) {
      this.recvTag = tag;
      this.sendTag = (short) (tag + 1);
      this.from = from;
      this.to = to;
      this.bytes = bytes;
    }

    /** Relays what was read before the takeover, if anything, then reads. */
    void start(ByteBuf early) {
      if (early.isReadable()) {
        received(buf.fill(early));
      } else {
        early.release();
        recv();
      }
    }

    void recv() {
      short prio = drained ? IORING_RECVSEND_POLL_FIRST : 0;
      pending = submit(op(IORING_OP_RECV, prio, from, buf.address(), buf.capacity(), 0, recvTag));
    }

    void send() {
      pending =
          submit(
              op(
                  IORING_OP_SEND,
                  (short) 0,
                  to,
                  buf.address() + sent,
                  length - sent,
                  MSG_NOSIGNAL,
                  sendTag));
    }

    void received(int n) {
      idle.active = true;
      bytes.add(n);
      drained = n < buf.capacity();
      length = n;
      sent = 0;
      send();
    }

    /** The send completed (maybe in part): the rest, or the next recv, in a buffer sized to use. */
    void wrote(int n) {
      idle.active = true;
      sent += n;
      if (sent < length) {
        send();
        return;
      }
      buf.passedOn(length);
      recv();
    }

    /** FIN from this direction's source: pass it on; the pair closes when both have ended. */
    void endOfStream() {
      ended = true;
      if ((this == aToB ? bToA : aToB).ended) {
        closePair();
      } else {
        submit(op(IORING_OP_SHUTDOWN, (short) 0, to, 0, SHUT_WR, 0, CONTROL));
      }
    }
  }

  private static IoUringIoOps op(
      byte opcode, short ioPrio, int fd, long address, int length, int flags, short tag) {
    return new IoUringIoOps(
        opcode, (byte) 0, ioPrio, fd, 0L, address, length, flags, tag, (short) 0, (short) 0, 0, 0L);
  }

  private long submit(IoUringIoOps op) {
    // Submissions start once registered(): the directions start only after the assignment.
    long id = Objects.requireNonNull(registration, "submit before registration").submit(op);
    if (id == 0) {
      closePair();
    } else {
      inFlight++;
    }
    return id;
  }

  @Override
  public void handle(IoRegistration r, IoEvent event) {
    IoUringIoEvent e = (IoUringIoEvent) event;
    inFlight--;
    short tag = e.data();
    int res = e.res();
    if (tag == CONTROL) {
      if (res < 0 && !closing && e.opcode() == IORING_OP_SHUTDOWN) {
        closePair(); // the peer is gone already
      }
    } else {
      Direction d = tag < bToA.recvTag ? aToB : bToA;
      d.pending = 0;
      if (!closing) {
        if (res < 0) {
          closePair(); // reset, broken pipe, …
        } else if (tag == d.recvTag) {
          if (res == 0) {
            d.endOfStream();
          } else {
            d.received(res);
          }
        } else if (res == 0) {
          closePair();
        } else {
          d.wrote(res);
        }
      }
    }
    if (closing && inFlight == 0) {
      finish();
    }
  }

  /** Cancels what is in flight; {@link #finish()} runs once the last completion has arrived. */
  private void closePair() {
    if (closing) {
      return;
    }
    closing = true;
    for (Direction d : new Direction[] {aToB, bToA}) {
      if (d.pending != 0) {
        long target = d.pending;
        d.pending = 0;
        submit(
            new IoUringIoOps(
                IORING_OP_ASYNC_CANCEL,
                (byte) 0,
                (short) 0,
                -1,
                0L,
                target,
                0,
                0,
                CONTROL,
                (short) 0,
                (short) 0,
                0,
                0L));
      }
    }
    if (inFlight == 0) {
      finish();
    }
  }

  private void finish() {
    if (released) {
      return;
    }
    released = true;
    IoRegistration r = registration;
    if (r != null) {
      r.cancel();
    }
    aToB.buf.release();
    bToA.buf.release();
    Takeover.handBack(a);
    Takeover.handBack(b);
  }

  /** The event loop is shutting down. */
  @Override
  public void close() {
    closePair();
  }
}
