package io.llmswarm.coordinator;

import io.llmswarm.cluster.SwarmBusyException;
import io.llmswarm.cluster.SwarmNotReadyException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The one table every entry point answers a failed generation from. */
class GenerationFailureTest {

    @Test
    void eachKindOfFailureHasOneStatusCodeAndRetryAdvice() {
        GenerationFailure notReady = GenerationFailure.of(new SwarmNotReadyException("layers 4-7 have no shard"));
        assertEquals(503, notReady.status());
        assertEquals("swarm_not_ready", notReady.openAiCode());
        assertEquals(GenerationFailure.NOT_READY_RETRY_SECONDS, notReady.retryAfterSeconds());
        assertEquals("layers 4-7 have no shard", notReady.message());

        GenerationFailure busy = GenerationFailure.of(new SwarmBusyException("no KV-cache room on node b"));
        assertEquals(503, busy.status());
        assertEquals("overloaded", busy.openAiCode());
        assertEquals(GenerationFailure.BUSY_RETRY_SECONDS, busy.retryAfterSeconds());

        GenerationFailure bad = GenerationFailure.of(new IllegalArgumentException("\"prompt\" is empty"));
        assertEquals(400, bad.status());
        assertEquals("invalid_request_error", bad.openAiType());
        assertNull(bad.openAiCode());
        assertEquals(0, bad.retryAfterSeconds());
        assertEquals("\"prompt\" is empty", bad.message());

        GenerationFailure failed = GenerationFailure.of(new IllegalStateException("shard b timed out"));
        assertEquals(500, failed.status());
        assertEquals("server_error", failed.openAiType());
        assertEquals("the generation failed: shard b timed out", failed.message());
    }

    @Test
    void anUnreadableRequestIsTheClientsErrorWithoutAJavaCastMessage() {
        assertEquals(GenerationFailure.WRONG_TYPE,
                GenerationFailure.of(new ClassCastException("class java.lang.String cannot be cast")).message());
        GenerationFailure unreadable = GenerationFailure.ofRequest(new NullPointerException("no field"));
        assertEquals(400, unreadable.status());
        assertEquals("no field", unreadable.message());
        assertEquals(CoordinatorVerticle.BAD_REQUEST, GenerationFailure.ofRequest(new ClassCastException()).status());
    }
}
