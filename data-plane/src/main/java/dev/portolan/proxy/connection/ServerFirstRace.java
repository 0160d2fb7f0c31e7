package dev.portolan.proxy.connection;

import dev.portolan.proxy.detect.Detection;
import dev.portolan.proxy.route.HttpVersion;
import io.netty.channel.Channel;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The server-first race of one connection (docs/design/detection.md): the client stayed silent for
 * the window, the upstream is dialled, and whoever speaks first decides. A server greeting flows at
 * once and the destination is remembered; client bytes go on to the classifier, HTTP is handed to
 * the per-request proxy (the dialled connection closed) and anything else is relayed over the
 * connection already made.
 *
 * <p>The race only decides; what a decision does to the connection is its {@link Outcome}. Runs on
 * the connection's event loop, like its owner, so it needs no locking.
 */
final class ServerFirstRace {

  /** What the race's decisions do: implemented by the connection that races ({@link Racing}). */
  interface Outcome {
    /** Detection is over: its timers and place under the cap go; logged and counted. */
    void decided(String why, String label);

    /** Relay the client over the raced upstream. */
    void relay(Leg leg);

    /** Hand the client to the per-request HTTP proxy. */
    void http(HttpVersion version);

    /** Remember the destination as one that speaks first. */
    void serverSpokeFirst();

    /** Bytes from the client are read but not classified yet. */
    boolean clientSpokePartly();

    /** Close the client: the server hung up on it before anyone spoke. */
    void closeClient();
  }

  /** An upstream connected during the race, with the byte counters of its pair. */
  record Leg(Channel upstream, LongAdder read, LongAdder written) {}

  private final Outcome outcome;
  // The upstream once connected (until someone won), and whether someone has won.
  private @Nullable Leg raced;
  private boolean over;

  ServerFirstRace(Outcome outcome) {
    this.outcome = outcome;
  }

  /** Someone won, or the client went away: later events change nothing. */
  boolean over() {
    return over;
  }

  /** The client closed during the race. */
  void end() {
    over = true;
  }

  /** The classifier decided on the client's bytes: the client spoke first. */
  void clientDecided(Detection d, @Nullable HttpVersion version) {
    if (version == null) {
      clientWon(d.label());
      return;
    }
    over = true;
    outcome.decided("client spoke first after the window: detected " + d.label(), d.label());
    Leg leg = raced;
    if (leg != null) {
      leg.upstream().close(); // HTTP balances each request: the pool dials its own
      raced = null;
    }
    outcome.http(version);
  }

  /** The race ends as TCP: relay over the upstream dialled (now, or once it connects). */
  void clientWon(String label) {
    over = true;
    outcome.decided("racing the server: " + label, label);
    Leg leg = raced;
    if (leg != null) {
      raced = null;
      ServerGreeting.stop(leg.upstream()); // the server's bytes and FIN are the relay's now
      outcome.relay(leg);
    }
  }

  /** The upstream dialled for the race is connected (and secured): wait for a first speaker. */
  void connected(Channel client, Leg leg) {
    if (over) {
      outcome.relay(leg); // the client won while it connected
      return;
    }
    raced = leg;
    Channel upstream = leg.upstream();
    client.closeFuture().addListener(x -> upstream.close());
    upstream
        .closeFuture()
        .addListener(x -> {
          if (!over) {
            client.close(); // the server hung up on a silent client
          }
        });
    ServerGreeting.watch(upstream, this::serverSpoke, this::serverHungUp);
  }

  /** Bytes from the server while racing: it spoke first, unless the client's are being read. */
  private void serverSpoke() {
    Leg leg = raced;
    if (over || leg == null) {
      return; // already relaying: the greeting is the relay's
    }
    if (outcome.clientSpokePartly()) {
      // The client spoke first but had not said enough to classify: an answer to part of a
      // request is no HTTP, and no server-first either.
      clientWon("tcp");
      return;
    }
    over = true;
    outcome.decided("the server spoke first", "server_first");
    outcome.serverSpokeFirst();
    raced = null;
    outcome.relay(leg);
  }

  /**
   * The server ended its side before either spoke: nothing can be detected and nothing answered, so
   * the client is closed (counted as a detection {@code error}) rather than left silent.
   */
  private void serverHungUp() {
    Leg leg = raced;
    if (over || leg == null) {
      return;
    }
    raced = null;
    outcome.closeClient();
    leg.upstream().close();
  }
}
