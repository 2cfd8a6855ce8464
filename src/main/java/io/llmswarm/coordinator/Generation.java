package io.llmswarm.coordinator;

import io.vertx.core.Future;

import java.util.List;

/** A running generation: its request id, the outcome to come, and a way to cancel it. */
public interface Generation {

    String requestId();

    /** Completes with the outcome (a cancel completes it with finish reason CANCELLED), or fails with the reason. */
    Future<GenerationOutcome> outcome();

    /** Stops after the step in flight; the shards free the session. */
    void cancel();

    /**
     * Each hop's timings so far (steps, round trip, engine time), for live per-shard figures. Call
     * it on the generation's own context, e.g. from its {@link TokenListener}.
     */
    default List<ShardTiming> shardTimings() {
        return List.of();
    }
}
