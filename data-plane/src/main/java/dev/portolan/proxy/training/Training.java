package dev.portolan.proxy.training;

import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.Route;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The traffic of {@code ProxyMain --train}: HTTP/1.1, HTTP/2 (prior knowledge) and opaque TCP
 * exchanges through the proxy's own connection handling (detection, the HTTP proxies and their
 * upstream pools, the native relay), all on loopback, so that a JDK AOT cache recorded from the run
 * holds the classes and method profiles of the data paths, not only those of the start
 * (docs/proxy.md, <i>Start-up</i>). The upstreams are small servers in this process; the clients
 * are plain sockets. Routes are fixed (no policy-server, no iptables): the listeners here are the
 * proxy's listener without its router.
 *
 * <p>The proxy passes in what the run needs (its event loops, its listener for a fixed route): this
 * package knows the proxy's entry point no more than the entry point knows what the run sends.
 */
public final class Training {
  private static final byte[] OK = "ok".getBytes(StandardCharsets.US_ASCII);

  /** What one training run did, and how long the first exchange of each kind took. */
  public record Result(
      int exchanges, long firstHttp1Micros, long firstHttp2Micros, long firstTcpMicros) {}

  /** The proxy's listener: one on loopback, any port, whose every connection takes the route. */
  @FunctionalInterface
  public interface ProxyListener {
    Channel listen(Route route) throws InterruptedException;
  }

  private final EventLoopGroup group;
  private final Class<? extends ServerChannel> serverChannel;
  private final Duration detectTimeout;
  private final ProxyListener proxy;
  private final List<Channel> opened = new ArrayList<>();

  private Training(
      EventLoopGroup group,
      Class<? extends ServerChannel> serverChannel,
      Duration detectTimeout,
      ProxyListener proxy) {
    this.group = group;
    this.serverChannel = serverChannel;
    this.detectTimeout = detectTimeout;
    this.proxy = proxy;
  }

  /**
   * Runs {@code exchanges} exchanges of each kind through listeners opened by {@code proxy}.
   *
   * @param group the proxy's data-path event loops, which also run the small upstream servers
   * @param serverChannel the server channel of the loops' I/O transport
   * @param detectTimeout the routes' detection deadline
   */
  public static Result run(
      EventLoopGroup group,
      Class<? extends ServerChannel> serverChannel,
      Duration detectTimeout,
      ProxyListener proxy,
      int exchanges)
      throws Exception {
    Training t = new Training(group, serverChannel, detectTimeout, proxy);
    try {
      return t.run(exchanges);
    } finally {
      t.opened.forEach(Channel::close);
    }
  }

  private Result run(int exchanges) throws Exception {
    InetSocketAddress http1 =
        serve(c -> c.pipeline().addLast(new HttpServerCodec(), new Http1Server()));
    InetSocketAddress http2 =
        serve(c ->
            c.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new Http2Server()));
    InetSocketAddress echo = serve(c -> c.pipeline().addLast(new Echo()));
    InetSocketAddress viaHttp1 = proxy(http1, true);
    InetSocketAddress viaHttp2 = proxy(http2, true);
    InetSocketAddress viaTcp = proxy(echo, false);
    return new Result(
        exchanges,
        http1Exchanges(viaHttp1, exchanges),
        http2Exchanges(viaHttp2, exchanges),
        tcpExchanges(viaTcp, exchanges));
  }

  /** A proxy listener whose every connection goes to {@code upstream}. */
  private InetSocketAddress proxy(InetSocketAddress upstream, boolean detect)
      throws InterruptedException {
    Route route =
        new Route(
            upstream, detect ? new Handling.Detect(detectTimeout) : Handling.OPAQUE, "training");
    Channel listener = proxy.listen(route);
    opened.add(listener);
    return (InetSocketAddress) listener.localAddress();
  }

  /** A server on loopback whose connections get their handlers from {@code init}. */
  private InetSocketAddress serve(Consumer<Channel> init) throws InterruptedException {
    Channel ch =
        new ServerBootstrap()
            .group(group)
            .channel(serverChannel)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel c) {
                    init.accept(c);
                  }
                })
            .bind("127.0.0.1", 0)
            .sync()
            .channel();
    opened.add(ch);
    return (InetSocketAddress) ch.localAddress();
  }

  /** One round of exchanges on an open connection; {@code round} counts from 0. */
  private interface Round {
    void run(int round) throws IOException;
  }

  /** Runs {@code rounds} rounds; returns the first one's time in microseconds. */
  private static long rounds(int rounds, Round r) throws IOException {
    long first = 0;
    for (int i = 0; i < rounds; i++) {
      long t0 = System.nanoTime();
      r.run(i);
      if (i == 0) {
        first = (System.nanoTime() - t0) / 1000;
      }
    }
    return first;
  }

  /** Keep-alive GETs on one connection; returns the first exchange's time. */
  private static long http1Exchanges(InetSocketAddress proxy, int n) throws IOException {
    byte[] request = "GET / HTTP/1.1\r\nHost: training\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    try (Socket s = connect(proxy)) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      return rounds(
          n,
          i -> {
            out.write(request);
            out.flush();
            readHttp1Response(in);
          });
    }
  }

  private static void readHttp1Response(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last4 = 0; // the last four bytes read, to find the head's end (CR LF CR LF)
    while (last4 != 0x0d0a0d0a) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("HTTP/1: connection closed in a response head");
      }
      head.write(b);
      last4 = last4 << 8 | b;
    }
    String h = head.toString(StandardCharsets.US_ASCII);
    if (!h.startsWith("HTTP/1.1 200")) {
      throw new IOException("HTTP/1: unexpected response " + h.lines().findFirst().orElse(""));
    }
    String length =
        h.lines()
            .filter(l -> l.regionMatches(true, 0, "content-length:", 0, 15))
            .findFirst()
            .orElseThrow(() -> new IOException("HTTP/1: no content-length"));
    new DataInputStream(in).readFully(new byte[Integer.parseInt(length.substring(15).strip())]);
  }

  /**
   * HTTP/2 prior knowledge on one connection: GET requests as HEADERS frames (HPACK: indexed
   * :method GET, :scheme http, :path /, and :authority as a literal), the first alone, then ten
   * streams at a time, each batch read until all its streams have ended. Returns the first one's
   * time.
   */
  private static long http2Exchanges(InetSocketAddress proxy, int n) throws IOException {
    try (Socket s = connect(proxy)) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      frame(out, 4, 0, 0, new byte[0]); // our SETTINGS: the defaults
      byte[] authority = "training".getBytes(StandardCharsets.US_ASCII);
      byte[] block = new byte[4 + 1 + authority.length];
      block[0] = (byte) 0x82; // :method GET
      block[1] = (byte) 0x86; // :scheme http
      block[2] = (byte) 0x84; // :path /
      block[3] = 0x01; // :authority, literal without indexing (name index 1)
      block[4] = (byte) authority.length;
      System.arraycopy(authority, 0, block, 5, authority.length);
      // Round 0 is the first request alone, then requests 2..n in batches of ten (stream 2i+1).
      return rounds(
          1 + (n + 8) / 10,
          round -> {
            int from = round == 0 ? 0 : 1 + (round - 1) * 10;
            int batch = round == 0 ? 1 : Math.min(10, n - from);
            for (int i = 0; i < batch; i++) {
              frame(out, 1, 0x5, 2 * (from + i) + 1, block); // HEADERS, END_STREAM | END_HEADERS
            }
            out.flush();
            for (int ended = 0; ended < batch; ) {
              int length = in.readUnsignedShort() << 8 | in.readUnsignedByte();
              int type = in.readUnsignedByte();
              int flags = in.readUnsignedByte();
              int id = in.readInt() & 0x7fffffff;
              in.readFully(new byte[length]);
              if (type == 4 && (flags & 1) == 0) {
                frame(out, 4, 1, 0, new byte[0]); // SETTINGS ACK
                out.flush();
              } else if (type == 7 || type == 3) {
                throw new IOException("HTTP/2: " + (type == 7 ? "GOAWAY" : "RST_STREAM " + id));
              } else if ((type == 0 || type == 1) && id != 0 && (flags & 1) != 0) {
                ended++;
              }
            }
          });
    }
  }

  private static void frame(OutputStream out, int type, int flags, int stream, byte[] payload)
      throws IOException {
    int n = payload.length;
    out.write(
        new byte[] {(byte) (n >>> 16), (byte) (n >>> 8), (byte) n, (byte) type, (byte) flags});
    out.write(
        new byte[] {
          (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8), (byte) stream
        });
    out.write(payload);
  }

  /** Small messages echoed through the opaque relay; returns the first exchange's time. */
  private static long tcpExchanges(InetSocketAddress proxy, int n) throws IOException {
    byte[] message = "training bytes\n".getBytes(StandardCharsets.US_ASCII);
    byte[] back = new byte[message.length];
    try (Socket s = connect(proxy)) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      return rounds(
          n,
          i -> {
            out.write(message);
            out.flush();
            in.readFully(back);
          });
    }
  }

  private static Socket connect(InetSocketAddress a) throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.setSoTimeout(10_000); // a path that stopped answering fails the run instead of hanging it
    s.connect(a, 10_000);
    return s;
  }

  /** Answers every HTTP/1.1 request with {@code 200 ok}, keeping the connection. */
  private static final class Http1Server extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof LastHttpContent) {
        DefaultFullHttpResponse r =
            new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(OK));
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, OK.length);
        ctx.writeAndFlush(r);
      }
      ReferenceCountUtil.release(msg);
    }
  }

  /** Answers every HTTP/2 stream with {@code 200} and {@code ok}. */
  private static final class Http2Server extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2HeadersFrame h && h.isEndStream()) {
        ctx.write(
            new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200"))
                .stream(h.stream()));
        ctx.writeAndFlush(
            new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(OK), true).stream(h.stream()));
      }
      ReferenceCountUtil.release(msg);
    }
  }

  /** Writes back what it reads. */
  private static final class Echo extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.writeAndFlush(msg);
    }
  }
}
