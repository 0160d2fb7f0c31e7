package dev.portolan.proxy.http;

import dev.portolan.proxy.metrics.Metrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Watches an HTTP/1 connection that is relayed as bytes and counts requests, responses and latency
 * (request_total, response_total{status_code,classification}, response_latency_ms). It parses
 * copies of the bytes on the side: the relay is never delayed or altered, and any parse problem, an
 * upgrade (101) or a CONNECT tunnel just ends the watching.
 */
public final class Http1Tap {
  private final Metrics metrics;
  private final String[] labels;
  // Resolved once per connection: the hot path only increments.
  private final java.util.concurrent.atomic.LongAdder requestTotal;
  private final Metrics.Histogram latency;
  private final java.util.Map<Integer, java.util.concurrent.atomic.LongAdder> responseTotals =
      new java.util.HashMap<>(4);
  private final Deque<Pending> inFlight = new ArrayDeque<>();
  // The decoder asks "no body?" while it parses, ahead of what has been read out of it: it
  // consumes its own queue of "was the request HEAD?" answers, one per response it starts.
  private final Deque<Boolean> headForDecoder = new ArrayDeque<>();
  private final EmbeddedChannel requests = new EmbeddedChannel(new HttpRequestDecoder());
  private final EmbeddedChannel responses;
  private Channel client;
  private Channel upstream;
  private boolean done;

  private record Pending(long startNanos, boolean head, boolean connect) {}

  private Http1Tap(Metrics metrics, String direction, String target) {
    this.metrics = metrics;
    this.labels = new String[] {"direction", direction, "target_addr", target};
    this.requestTotal = metrics.counter("request_total", labels);
    this.latency = metrics.histogram("response_latency_ms", labels);
    this.responses =
        new EmbeddedChannel(
            new HttpResponseDecoder() {
              @Override
              protected boolean isContentAlwaysEmpty(io.netty.handler.codec.http.HttpMessage msg) {
                boolean informational =
                    msg instanceof HttpResponse r && r.status().code() / 100 == 1;
                Boolean head = informational ? Boolean.FALSE : headForDecoder.poll();
                return Boolean.TRUE.equals(head) || super.isContentAlwaysEmpty(msg);
              }
            });
  }

  /** Installs the watchers on both channels, before their relays. */
  public static Http1Tap install(
      Channel client, Channel upstream, Metrics metrics, String direction, String target) {
    Http1Tap tap = new Http1Tap(metrics, direction, target);
    tap.client = client;
    tap.upstream = upstream;
    client.pipeline().addLast("http1-tap", tap.side(true));
    upstream.pipeline().addLast("http1-tap", tap.side(false));
    client.closeFuture().addListener(f -> tap.stop());
    return tap;
  }

  /** Request bytes read before the tap was installed (the detection buffer); takes ownership. */
  public void requestBytes(ByteBuf copy) {
    if (done) {
      copy.release();
      return;
    }
    try {
      onRequestBytes(copy);
    } catch (RuntimeException e) {
      stop();
    }
  }

  private ChannelInboundHandlerAdapter side(boolean requestSide) {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!done && msg instanceof ByteBuf buf) {
          try {
            if (requestSide) {
              onRequestBytes(buf.retainedDuplicate());
            } else {
              onResponseBytes(buf.retainedDuplicate());
            }
          } catch (RuntimeException e) {
            stop();
          }
        }
        ctx.fireChannelRead(msg);
      }
    };
  }

  private void onRequestBytes(ByteBuf copy) {
    requests.writeInbound(copy);
    for (Object o; (o = requests.readInbound()) != null; ) {
      try {
        if (o instanceof HttpRequest r) {
          if (r.decoderResult().isFailure()) {
            stop();
            return;
          }
          requestTotal.increment();
          boolean head = r.method().equals(HttpMethod.HEAD);
          inFlight.add(new Pending(System.nanoTime(), head, r.method().equals(HttpMethod.CONNECT)));
          headForDecoder.add(head);
        }
      } finally {
        ReferenceCountUtil.release(o);
      }
    }
  }

  private void onResponseBytes(ByteBuf copy) {
    responses.writeInbound(copy);
    for (Object o; (o = responses.readInbound()) != null; ) {
      try {
        if (o instanceof HttpObject h && h.decoderResult().isFailure()) {
          stop();
          return;
        }
        if (o instanceof HttpResponse r) {
          int code = r.status().code();
          Pending p = inFlight.peek();
          boolean tunnel =
              code == 101
                  || (p != null && p.connect() && code / 100 == 2)
                  || (r.headers().contains(HttpHeaderNames.UPGRADE) && code == 101);
          if (code / 100 == 1 && !tunnel) {
            continue; // interim response
          }
          record(p, code);
          if (tunnel) {
            stop(); // bytes from here on are not HTTP
            return;
          }
        }
        if (o instanceof LastHttpContent) {
          inFlight.poll();
        }
      } finally {
        ReferenceCountUtil.release(o);
      }
    }
  }

  private void record(Pending p, int code) {
    responseTotals
        .computeIfAbsent(
            code,
            c ->
                metrics.counter(
                    "response_total",
                    with(
                        "status_code",
                        Integer.toString(c),
                        "classification",
                        c >= 500 ? "failure" : "success")))
        .increment();
    if (p != null) {
      latency.observe((System.nanoTime() - p.startNanos()) / 1_000_000);
    }
  }

  private String[] with(String... more) {
    String[] out = java.util.Arrays.copyOf(labels, labels.length + more.length);
    System.arraycopy(more, 0, out, labels.length, more.length);
    return out;
  }

  private void stop() {
    if (done) {
      return;
    }
    done = true;
    requests.finishAndReleaseAll();
    responses.finishAndReleaseAll();
    remove(client);
    remove(upstream);
  }

  private static void remove(Channel ch) {
    if (ch != null && ch.pipeline().get("http1-tap") != null) {
      ch.eventLoop()
          .execute(() -> {
            if (ch.pipeline().get("http1-tap") != null) {
              ch.pipeline().remove("http1-tap");
            }
          });
    }
  }
}
