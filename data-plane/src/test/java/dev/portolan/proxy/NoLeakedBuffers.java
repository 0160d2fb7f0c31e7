package dev.portolan.proxy;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class after which Netty's leak detector (paranoid in these tests, see the pom) finds
 * a buffer that was collected without being released. Registered for every test class of this
 * module (META-INF/services, autodetection in junit-platform.properties). After each class it runs
 * the collector, waits until the collected references were queued, and has the detector look: a
 * leak is then reported against the class that made it, or at the latest against the next one.
 */
public final class NoLeakedBuffers implements AfterAllCallback {
  private static final Queue<String> leaks = new ConcurrentLinkedQueue<>();

  static {
    ByteBufUtil.setLeakListener((type, records) -> leaks.add(type + " " + records));
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    List<String> found = take();
    if (!found.isEmpty()) {
      throw new AssertionError(
          found.size()
              + " buffer(s) leaked by "
              + context.getDisplayName()
              + " (or the class before it); where the first was last touched:\n"
              + found.get(0));
    }
  }

  /** Collects garbage, lets the leak detector look, and returns (and forgets) what it reported. */
  static List<String> take() throws InterruptedException {
    ReferenceQueue<Object> queue = new ReferenceQueue<>();
    PhantomReference<Object> canary = new PhantomReference<>(new Object(), queue);
    System.gc();
    // Once the canary is queued, the references this collection found are queued too (one pending
    // list, handed over in one go); the detector reads its queue when it next tracks a buffer.
    queue.remove(10_000);
    Reference.reachabilityFence(canary);
    Unpooled.directBuffer(1).release();
    ByteBufAllocator.DEFAULT.buffer(1).release();
    List<String> found = new ArrayList<>();
    for (String leak; (leak = leaks.poll()) != null; ) {
      found.add(leak);
    }
    return found;
  }
}
