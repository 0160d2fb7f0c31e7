package dev.portolan.proxy.http2;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.http.ProxyErrors;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One request: a client stream and the upstream stream it became, their frames, metrics and
 * endpoint pick. Everything runs on the client connection's event loop, which is also the loop of
 * the upstream connection.
 */
final class Http2Exchange {
  /** A request frame that came before the upstream stream existed. */
  private record Early(
      @Nullable Http2Headers headers, @Nullable ByteBuf data, int bytes, boolean end) {}

  private static final int WAITING = 0;
  private static final int GONE = -1;

  private final Http2Proxy client;
  private final int id;
  // The request head, and what came after it before the upstream stream existed (most requests
  // have no such frames: no list then).
  private @Nullable Http2Headers head;
  private boolean headEnds;
  private @Nullable List<Early> early;
  private @Nullable Http2Upstream up;
  // The upstream stream's id once open; WAITING while dialling (frames queue), GONE after.
  private int upId = WAITING;
  private boolean opened;
  private boolean redialled;
  private boolean reopened;
  private boolean discarding;
  private boolean responseEnded;
  private boolean closed;
  private boolean resetByClient;
  private long resetCode = Http2Error.CANCEL.code();
  private P2c.@Nullable Pending pick;
  private long start;
  private int status;
  // A request that is only headers can be sent again if its stream died before any answer
  // (a GOAWAY racing it, a connection closing under it): once.
  private @Nullable Http2Headers bodyless;
  private boolean resent;

  Http2Exchange(Http2Proxy client, int id) {
    this.client = client;
    this.id = id;
  }

  /** The upstream connection of the open upstream stream ({@code upId > 0}). */
  private Http2Upstream up() {
    return Objects.requireNonNull(up, "no upstream stream");
  }

  /** The endpoint pick, made by the first dial: everything that answers or fails comes after. */
  private P2c.Pending pick() {
    return Objects.requireNonNull(pick, "not dialled yet");
  }

  void requestHeaders(Http2Headers h, boolean end) {
    if (discarding) {
      return;
    }
    if (!opened) {
      opened = true;
      if (end) {
        bodyless = h;
      }
      start = System.nanoTime();
      client.meters.request();
      head = h;
      headEnds = end;
      dial(client.pick());
    } else if (upId == WAITING) {
      queue(new Early(h, null, 0, end));
    } else if (upId > 0) {
      up().headers(upId, h, end); // trailers
    }
  }

  /** Returns whether the data was taken (its window comes back once written upstream). */
  boolean requestData(ByteBuf data, int bytes, boolean end) {
    if (discarding || !opened || upId == GONE) {
      return false;
    }
    if (upId == WAITING) {
      queue(new Early(null, data.retain(), bytes, end));
    } else {
      up().data(upId, data.retain(), end, client, id, bytes);
    }
    return true;
  }

  private void dial(InetSocketAddress endpoint) {
    pick = client.balancer.begin(endpoint, start);
    Http2Upstream c = client.upstreams(endpoint);
    if (c.connecting().isDone()) {
      attach(c);
    } else {
      c.connecting().addListener(f -> attach(c));
    }
  }

  private void attach(Http2Upstream c) {
    if (closed) {
      return;
    }
    int stream = c.connecting().isSuccess() ? c.newStream(this) : 0;
    if (stream == 0 && c.connecting().isSuccess() && !reopened) {
      // Connected, but out of use by now (GOAWAY, closed, stream ids used up): not the
      // endpoint's fault; the pool opens another connection.
      reopened = true;
      pick().abandoned();
      dial(pick().endpoint());
      return;
    }
    if (stream == 0) {
      Throwable cause = c.connecting().cause();
      dialFailed(cause);
      return;
    }
    up = c;
    upId = stream;
    c.head(stream, Objects.requireNonNull(head, "no request head"), headEnds);
    List<Early> queued = early;
    early = null;
    if (queued == null) {
      return;
    }
    for (Early e : queued) {
      if (upId != stream) { // failed at once (a resend, if any, queued anew)
        if (e.data() != null) {
          e.data().release();
          client.consumed(id, e.bytes());
        }
      } else if (e.headers() != null) {
        c.headers(stream, e.headers(), e.end());
      } else {
        c.data(stream, Objects.requireNonNull(e.data()), e.end(), client, id, e.bytes());
      }
    }
  }

  /**
   * The connection was refused by its port's authorizations: {@code 403} with the reason, and the
   * rest of the request is read and dropped; nothing is forwarded.
   */
  void forbidden(String reason) {
    opened = true;
    discarding = true;
    start = System.nanoTime();
    status = 403;
    client.meters.request();
    client.meters.response(403, true);
    client.meters.latency(start);
    client.headers(id, ProxyErrors.http2(HttpResponseStatus.FORBIDDEN, reason), true);
  }

  private void dialFailed(@Nullable Throwable cause) {
    InetSocketAddress failed = pick().endpoint();
    pick().failed();
    InetSocketAddress other = redialled ? null : client.pickOther(failed);
    if (other != null && client.active()) {
      redialled = true;
      dial(other);
      return;
    }
    dropEarly();
    discarding = true; // the rest of the request is read and dropped
    status = 502;
    client.meters.response(502, true);
    client.meters.latency(start);
    String reason = ProxyErrors.connectFailed(failed, cause);
    client.headers(id, ProxyErrors.http2(HttpResponseStatus.BAD_GATEWAY, reason), true);
  }

  private void queue(Early e) {
    if (early == null) {
      early = new ArrayList<>(2);
    }
    early.add(e);
  }

  /** Releases the queued frames, returning their window when the stream is still open. */
  private void dropEarly() {
    if (early != null) {
      for (Early e : early) {
        if (e.data() != null) {
          e.data().release();
          client.consumed(id, e.bytes());
        }
      }
      early = null;
    }
  }

  void responseHeaders(Http2Headers h, boolean end) {
    if (closed) {
      return;
    }
    CharSequence s = h.status();
    if (status == 0 && s != null) {
      int code = parseStatus(s);
      if (code >= 200) {
        status = code;
        pick().answered();
        client.meters.latency(start);
      }
    }
    if (end) {
      responseEnded(h);
    }
    client.headers(id, h, end);
  }

  /** Returns whether the data was taken (its window comes back once written to the client). */
  boolean responseData(ByteBuf data, int bytes, boolean end) {
    if (closed) {
      return false;
    }
    if (end) {
      responseEnded(null);
    }
    client.data(id, data.retain(), end, up(), upId, bytes);
    return true;
  }

  private void responseEnded(@Nullable Http2Headers trailers) {
    if (responseEnded || status == 0) {
      return;
    }
    responseEnded = true;
    CharSequence grpc = trailers == null ? null : trailers.get("grpc-status");
    boolean failure = status >= 500 || (grpc != null && !"0".contentEquals(grpc));
    client.meters.response(status, failure);
  }

  /** The upstream stream {@code stream} of {@code from} was reset or closed. */
  void upstreamGone(Http2Upstream from, int stream) {
    if (from != up || stream != upId) {
      return; // a stream already given up on
    }
    upId = GONE;
    if (status == 0 && bodyless != null && !resent && !closed) {
      resent = true;
      pick().abandoned();
      up = null;
      upId = WAITING;
      head = bodyless;
      headEnds = true;
      dial(client.pick());
      return;
    }
    if (!responseEnded && !closed) {
      if (status == 0) {
        pick().failed();
        client.meters.response(502, true);
      }
      client.reset(id, Http2Error.REFUSED_STREAM.code());
    }
  }

  /** The client reset its stream: the reset goes upstream with its code. */
  void clientReset(long code) {
    resetByClient = true;
    resetCode = code;
  }

  /** The client stream closed (ended both ways, reset, or its connection closed). */
  void clientClosed() {
    closed = true;
    dropEarly(); // (the window of a closed stream comes back by itself)
    if (pick != null) {
      pick.abandoned(); // no-op when it ended already
    }
    // A response that ended closes the upstream stream by itself; else cancel it (RST_STREAM).
    if (upId > 0 && (!responseEnded || resetByClient)) {
      up().cancel(upId, resetCode);
    }
  }

  private static int parseStatus(CharSequence s) {
    try {
      return Integer.parseInt(s.toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
