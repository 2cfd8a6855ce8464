package io.llmswarm.gateway;

import io.llmswarm.coordinator.GenerationFailure;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The places for generations on this gateway, shared by every way in (HTTP routes and the event-bus
 * bridge), so a client cannot pass the limits by switching API or opening more connections. A
 * generation beyond the node's limit is refused with 503, beyond its client's with 429.
 */
final class GenerationSlots {

    static final int RETRY_AFTER_SECONDS = GenerationFailure.BUSY_RETRY_SECONDS;

    private final GatewayLimits limits;
    private final AtomicInteger running = new AtomicInteger();
    private final Map<String, AtomicInteger> byClient = new ConcurrentHashMap<>();

    GenerationSlots(GatewayLimits limits) {
        this.limits = limits;
    }

    /** A place for one generation of {@code client} (its API key's name, or its address), or why not. */
    Admission admit(String client) {
        if (running.incrementAndGet() > limits.maxConcurrent()) {
            running.decrementAndGet();
            return new Admission.Refused(503, "this node is running its limit of " + limits.maxConcurrent()
                    + " generations (max_concurrent); try again in " + RETRY_AFTER_SECONDS + " s", "overloaded");
        }
        AtomicInteger mine = byClient.computeIfAbsent(client, c -> new AtomicInteger());
        if (mine.incrementAndGet() > limits.maxConcurrentPerClient()) {
            release(client, mine);
            return new Admission.Refused(429, "this client already runs " + limits.maxConcurrentPerClient()
                    + " generations on this node (max_concurrent_per_client); try again in " + RETRY_AFTER_SECONDS
                    + " s or when one of them ends", "too_many_streams");
        }
        AtomicBoolean released = new AtomicBoolean();
        return new Admission.Admitted(() -> {
            if (released.compareAndSet(false, true)) {
                release(client, mine);
            }
        });
    }

    private void release(String client, AtomicInteger count) {
        running.decrementAndGet();
        if (count.decrementAndGet() <= 0) {
            byClient.remove(client, count);
        }
    }

    /** Generations holding a place now. */
    int running() {
        return running.get();
    }

    /** The answer to a generation asking for a place. */
    sealed interface Admission {

        /** Admitted: {@code release} gives the place back; only its first call counts. */
        record Admitted(Runnable release) implements Admission {
        }

        /** Refused: the status (503 node full, 429 client full), the message with its retry hint, the OpenAI error code. */
        record Refused(int status, String message, String openAiCode) implements Admission {
        }
    }
}
