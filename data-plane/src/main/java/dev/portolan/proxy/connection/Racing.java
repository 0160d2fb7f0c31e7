package dev.portolan.proxy.connection;

import dev.portolan.proxy.connection.ProxyConnection.Settings;
import dev.portolan.proxy.detect.Detection;
import dev.portolan.proxy.net.TcpInfo;
import dev.portolan.proxy.route.HttpVersion;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A connection in detection racing the server (docs/design/detection.md): whether the end of the
 * server-first window starts a race, the client's bytes and the dialled upstream while it runs, and
 * what its decisions do to the connection. {@link ServerFirstRace} decides; this is its {@link
 * ServerFirstRace.Outcome} and feeds it. The {@link ProxyConnection} dials the upstream and does
 * the hand-over (relay or HTTP). Runs on the connection's event loop, like its owner, so it needs
 * no locking.
 */
final class Racing implements ServerFirstRace.Outcome {
  private final ProxyConnection conn;
  private final Settings s;
  private final ChannelHandlerContext ctx;
  private final ServerFirstRace race;

  private Racing(ProxyConnection conn, Settings s, ChannelHandlerContext ctx) {
    this.conn = conn;
    this.s = s;
    this.ctx = ctx;
    this.race = new ServerFirstRace(this);
  }

  /**
   * The client said nothing within the window: a race, for the owner to dial and let the server
   * speak; the client's read stays asked for and the deadline keeps running. Null (nothing to dial)
   * if detection is over or the client spoke.
   */
  static @Nullable Racing start(ProxyConnection conn, Settings s, ChannelHandlerContext ctx) {
    if (conn.upstreamStarted() || !ctx.channel().isActive() || conn.hasBufferedBytes()) {
      return null;
    }
    if (spokeUnread(ctx)) {
      // A loop busy with a connect storm can run this timer before the read of bytes that came
      // in time: the client spoke first, and racing would dial an upstream for a slowloris.
      conn.decision(ctx, "client bytes in the socket within the window, not read yet: no race");
      return null;
    }
    conn.decision(
        ctx, "client silent for " + s.serverFirstWindow().toMillis() + " ms: racing the server");
    return new Racing(conn, s, ctx);
  }

  /**
   * Whether the client's bytes reached the kernel but not this handler: plain TCP only (behind TLS
   * the socket's bytes are the handshake's, and the race is decided on the decrypted stream).
   */
  private static boolean spokeUnread(ChannelHandlerContext ctx) {
    return ctx.pipeline().get(SslHandler.class) == null && TcpInfo.bytesReceived(ctx.channel()) > 0;
  }

  /** Nobody has won and the client is still there: its bytes and its close are the race's. */
  boolean running() {
    return !race.over();
  }

  /** Client bytes during the race: the client spoke first, and the classifier decides. */
  void read(ByteBuf in) {
    conn.append(ctx, in);
    Detection d = conn.classified(ctx);
    if (d != null) {
      race.clientDecided(d, ProxyConnection.httpVersion(d));
    }
  }

  /** The upstream dialled for the race is connected (and secured). */
  void connected(Channel client, Channel upstream, LongAdder read, LongAdder written) {
    if (conn.httpTaken() || !client.isActive()) {
      upstream.close();
      if (!conn.httpTaken()) {
        conn.release();
      }
      return;
    }
    race.connected(client, new ServerFirstRace.Leg(upstream, read, written));
  }

  /** The client half-closed: it won, unless someone had. */
  void clientEnded() {
    if (!race.over()) {
      race.clientWon("eof");
    }
  }

  /** The detection deadline: the client won, unless someone had or it is gone. */
  void deadline() {
    if (!race.over() && ctx.channel().isActive()) {
      race.clientWon("read_timeout");
    }
  }

  /** The client closed during the race. */
  void end() {
    race.end();
  }

  // What the race's decisions do to the connection.

  @Override
  public void decided(String why, String label) {
    conn.cancelTimers();
    conn.decision(ctx, why);
    conn.result(label);
  }

  @Override
  public void relay(ServerFirstRace.Leg leg) {
    conn.joined(ctx, ctx.channel(), leg.upstream(), true, leg.read(), leg.written());
  }

  @Override
  public void http(HttpVersion version) {
    conn.http(ctx, version);
  }

  @Override
  public void serverSpokeFirst() {
    ServerGreeting.learned(s, conn.route().upstream());
  }

  @Override
  public boolean clientSpokePartly() {
    return conn.hasBufferedBytes();
  }

  @Override
  public void closeClient() {
    ctx.channel().close();
  }
}
