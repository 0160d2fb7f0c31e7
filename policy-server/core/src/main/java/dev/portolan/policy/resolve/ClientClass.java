package dev.portolan.policy.resolve;

/**
 * A group of clients that are told the same thing. The part of an answer that may differ by client
 * (an {@link Overlay}) is computed once per class and topic value, and shared by every subscriber
 * of that class: a class is what keeps per-client answers from costing a copy per proxy.
 *
 * <p>Today every client is in {@link #EVERYONE}. The NetworkPolicy evaluator
 * (docs/design/networkpolicy.md) will put clients that the policies treat alike in one class.
 *
 * @param name a stable name, shown in diagnostics; classes are equal when their names are
 */
public record ClientClass(String name) {
  public static final ClientClass EVERYONE = new ClientClass("everyone");
}
