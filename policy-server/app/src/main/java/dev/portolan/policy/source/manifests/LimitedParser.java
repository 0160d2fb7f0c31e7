package dev.portolan.policy.source.manifests;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.snakeyaml.engine.v2.common.Anchor;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.NodeEvent;
import org.snakeyaml.engine.v2.parser.Parser;

/**
 * Sits between SnakeYAML's parser and its composer and refuses a file, event by event, as soon as
 * it exceeds a limit. SnakeYAML has no nesting limit and its composer recurses once per level, so
 * deep nesting would overflow the stack; it counts aliases but not what they stand for, so 48
 * aliases can stand for 3^17 strings, which the object mapper then expands until the heap is gone.
 * Here each collection's size is known when it ends, each anchor remembers the size of its node,
 * and an alias adds that size: the count is exact and costs O(1) per event.
 */
final class LimitedParser implements Parser {

  /** A limit was exceeded at {@code line} (1-based, 0 when unknown). */
  static final class LimitExceeded extends RuntimeException {
    final int line;
    // Kept apart from getMessage(), which Throwable declares nullable.
    final String reason;

    LimitExceeded(int line, String reason) {
      super(reason, null, false, false);
      this.line = line;
      this.reason = reason;
    }
  }

  /** An open mapping or sequence: its anchor, if any, and the nodes inside it so far. */
  private static final class Open {
    final @Nullable Anchor anchor;
    long nodes = 1;

    Open(@Nullable Anchor anchor) {
      this.anchor = anchor;
    }
  }

  private final Parser delegate;
  private final ManifestsLimits limits;
  private final Deque<Open> open = new ArrayDeque<>();
  // Each anchor's latest definition: its size once complete, or its open collection. Anchors are
  // scoped to their document; an anchor may be redefined, and an alias refers to the latest.
  private final Map<Anchor, Object> anchors = new HashMap<>();
  private int documents;
  private int aliases;
  private long nodes;

  LimitedParser(Parser delegate, ManifestsLimits limits) {
    this.delegate = delegate;
    this.limits = limits;
  }

  @Override
  public boolean checkEvent(Event.ID choice) {
    return delegate.checkEvent(choice);
  }

  @Override
  public Event peekEvent() {
    return delegate.peekEvent();
  }

  @Override
  public boolean hasNext() {
    return delegate.hasNext();
  }

  @Override
  public Event next() {
    Event e = delegate.next();
    switch (e.getEventId()) {
      case DocumentStart -> {
        if (++documents > limits.maxDocuments()) {
          throw exceeded(
              e,
              "more than %,d documents (portolan.manifests.limits.max-documents)"
                  .formatted(limits.maxDocuments()));
        }
        anchors.clear();
      }
      case MappingStart, SequenceStart -> {
        if (open.size() >= limits.maxDepth()) {
          throw exceeded(
              e,
              "nested deeper than %d levels (portolan.manifests.limits.max-depth)"
                  .formatted(limits.maxDepth()));
        }
        count(e, 1, false);
        Open opened = new Open(((NodeEvent) e).getAnchor().orElse(null));
        if (opened.anchor != null) {
          anchors.put(opened.anchor, opened);
        }
        open.push(opened);
      }
      case MappingEnd, SequenceEnd -> {
        Open done = open.pop();
        if (done.anchor != null && anchors.get(done.anchor) == done) {
          anchors.put(done.anchor, done.nodes);
        }
        if (!open.isEmpty()) {
          open.peek().nodes += done.nodes;
        }
      }
      case Scalar -> {
        ((NodeEvent) e).getAnchor().ifPresent(a -> anchors.put(a, 1L));
        count(e, 1, false);
        addToParent(1);
      }
      case Alias -> {
        Anchor alias = ((AliasEvent) e).getAlias();
        if (++aliases > limits.maxAliases()) {
          throw exceeded(
              e,
              "more than %d aliases (portolan.manifests.limits.max-aliases)"
                  .formatted(limits.maxAliases()));
        }
        Object definition = anchors.get(alias);
        if (definition instanceof Open) {
          // A node that contains itself: the object mapper would recurse without end.
          throw exceeded(e, "alias *%s refers to a node that contains it".formatted(alias));
        }
        // An undefined alias is the composer's error to report; count it as one node.
        long size = definition instanceof Long n ? n : 1;
        count(e, size, true);
        addToParent(size);
      }
      default -> {}
    }
    return e;
  }

  private void addToParent(long n) {
    if (!open.isEmpty()) {
      open.peek().nodes += n;
    }
  }

  /**
   * Adds to the file's total. Every collection's size is part of that total, which is checked on
   * every addition, so no size here can grow past the limit and overflow.
   */
  private void count(Event e, long n, boolean viaAlias) {
    nodes += n;
    if (nodes > limits.maxNodes()) {
      throw exceeded(
          e,
          (viaAlias ? "aliases make the file stand for" : "the file holds")
              + " more than %,d nodes (portolan.manifests.limits.max-nodes)"
                  .formatted(limits.maxNodes()));
    }
  }

  private static LimitExceeded exceeded(Event e, String reason) {
    return new LimitExceeded(e.getStartMark().map(m -> m.getLine() + 1).orElse(0), reason);
  }
}
