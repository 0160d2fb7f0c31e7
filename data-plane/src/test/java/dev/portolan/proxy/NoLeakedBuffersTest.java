package dev.portolan.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leak check of every test class finds a buffer dropped without a release. */
class NoLeakedBuffersTest {
  @Test
  void aBufferCollectedWithoutARelease() {
    leakOne();
    List<String> found = new ArrayList<>();
    // Each look runs the collector; the leak shows at the first or, rarely, a later one.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> {
          found.addAll(NoLeakedBuffers.take());
          return found.stream().anyMatch(leak -> leak.contains("leak-check canary"));
        });
  }

  @Test
  void nothingWhenEverythingWasReleased() throws InterruptedException {
    ByteBuf b = ByteBufAllocator.DEFAULT.buffer(8);
    b.writeLong(1);
    b.release();
    assertThat(NoLeakedBuffers.take()).noneMatch(leak -> leak.contains("leak-check"));
  }

  private static void leakOne() {
    Unpooled.directBuffer(8).writeLong(42).touch("leak-check canary");
  }
}
