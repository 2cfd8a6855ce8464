package io.llmswarm.coordinator;

import io.vertx.core.Future;

/** A running generation: its request id, the outcome to come, and a way to cancel it. */
public interface Generation {

    String requestId();

    /** Completes with the outcome (a cancel completes it with finish reason CANCELLED), or fails with the reason. */
    Future<GenerationOutcome> outcome();

    /** Stops after the step in flight; the shards free the session. */
    void cancel();
}
