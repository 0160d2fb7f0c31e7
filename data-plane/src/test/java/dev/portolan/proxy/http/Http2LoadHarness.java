package dev.portolan.proxy.http;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.http1.Http1Proxy;
import dev.portolan.proxy.http1.Http1Upstreams;
import dev.portolan.proxy.http2.Http2Proxy;
import dev.portolan.proxy.http2.Http2Upstreams;
import dev.portolan.proxy.metrics.Metrics;
import dev.portolan.proxy.net.IoTransport;
import dev.portolan.proxy.relay.IdleHandler;
import dev.portolan.proxy.route.Handling;
import dev.portolan.proxy.route.HttpVersion;
import dev.portolan.proxy.route.Route;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * Not a test: a loopback HTTP proxy for load runs by hand (h2load → proxy → a server), so the
 * per-request path can be measured and profiled without the network-namespace test bed. Usage:
 * {@code Http2LoadHarness <listen port> <upstream port> [event loops] [epoll|io_uring]
 * [http/2|http/1]} (HTTP/2 unless told); prints the port and runs until killed.
 */
public final class Http2LoadHarness {
  private Http2LoadHarness() {}

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    InetSocketAddress upstream = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[1]));
    int loops = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    IoTransport transport = IoTransport.choose(args.length > 3 ? args[3] : "epoll");
    // The command line's name for the codec (bench/http-harness.sh): HTTP/2 unless http/1.
    HttpVersion version =
        args.length > 4 && args[4].equals(HttpVersion.HTTP_1.label())
            ? HttpVersion.HTTP_1
            : HttpVersion.HTTP_2;
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, transport.handlers());
    Metrics metrics = new Metrics();
    Route route =
        new Route(
            upstream,
            new Handling.Detect(Duration.ofSeconds(1)),
            "svc:80",
            () -> List.of(upstream));
    Http2Upstreams upstreams =
        new Http2Upstreams(Duration.ofSeconds(2), Duration.ofSeconds(30), metrics);
    Http1Upstreams http1 =
        new Http1Upstreams(Duration.ofSeconds(2), Duration.ofSeconds(30), metrics);
    HttpContext http = new HttpContext("outbound", new P2c(), metrics);
    // As ProxyMain: the connection's idle timeout first in its pipeline.
    Channel listener =
        Listener.start(
            group,
            port,
            ch -> {
              ch.pipeline().addLast(new IdleHandler(Duration.ofMinutes(5)));
              // As the proxy's hand-over (connection.HttpProxies): the codec of the version.
              switch (version) {
                case HTTP_1 -> Http1Proxy.install(ch, null, route, http, http1);
                case HTTP_2 -> Http2Proxy.install(ch, null, route, http, upstreams);
              }
            });
    System.out.println("listening on " + listener.localAddress());
    listener.closeFuture().sync();
  }
}
