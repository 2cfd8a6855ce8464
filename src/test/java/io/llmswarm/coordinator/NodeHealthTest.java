package io.llmswarm.coordinator;

import io.llmswarm.cluster.TestClusters;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node's breaker opens after its faults and says so, and says so again when a trial step closes it. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NodeHealthTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().await();
    }

    @Test
    void aBreakerThatOpensAndClosesAgainIsHeardBothTimes() throws Exception {
        List<Incident> heard = new CopyOnWriteArrayList<>();
        NodeHealth health = new NodeHealth(vertx, new NodeHealth.Settings(2, Duration.ofMillis(200)), heard::add);

        health.failed("b", new IllegalStateException("timeout"));
        assertFalse(health.isAvoided("b"), "one fault of two");
        assertEquals(List.of(), heard);
        health.failed("b", new IllegalStateException("timeout"));
        TestClusters.awaitTrue(Duration.ofSeconds(5), () -> health.isAvoided("b"), () -> "open after two faults");
        assertEquals(List.of(new Incident.Breaker("b", true)), heard);

        // After openFor the breaker lets one trial step through: a step that went well closes it.
        TestClusters.awaitTrue(Duration.ofSeconds(10), () -> {
            health.succeeded("b");
            return !health.isAvoided("b") && heard.size() == 2;
        }, () -> "closed again: " + heard);
        assertEquals(new Incident.Breaker("b", false), heard.get(1));
        health.succeeded("a");
        health.failed("a", new IllegalStateException("one fault"));
        assertTrue(heard.stream().noneMatch(i -> i instanceof Incident.Breaker b && b.nodeId().equals("a")),
                "a breaker that never opened is not heard of: " + heard);
    }
}
