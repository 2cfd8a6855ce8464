package io.llmswarm.testing;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The guard sees an event loop that is blocked: here one held for 600 ms where 100 ms is the limit. */
class BlockedEventLoopGuardTest {

    @Test
    void aBlockedEventLoopIsSeen() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(100)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS).setBlockedThreadCheckInterval(20)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS));
        try {
            vertx.runOnContext(ignored -> {
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(600);
                while (System.nanoTime() < until) {
                    Thread.onSpinWait(); // what a blocking call does to the event loop
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            List<String> seen = List.of();
            while (seen.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(50);
                seen = BlockedEventLoopGuard.drain();
            }
            assertFalse(seen.isEmpty(), "the blocked event loop was reported");
            assertTrue(seen.getFirst().contains("blocked"), seen.toString());
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
            BlockedEventLoopGuard.drain(); // what the checker said after the loop went on is this test's own doing
        }
    }
}
