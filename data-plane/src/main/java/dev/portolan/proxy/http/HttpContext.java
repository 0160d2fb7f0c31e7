package dev.portolan.proxy.http;

import dev.portolan.proxy.balance.P2c;
import dev.portolan.proxy.metrics.Metrics;

/**
 * What the HTTP proxies of one listener share, whichever their version: the listener's direction (a
 * metric label), the balancer and the metrics.
 */
public record HttpContext(String direction, P2c balancer, Metrics metrics) {}
