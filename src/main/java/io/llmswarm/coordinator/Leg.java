package io.llmswarm.coordinator;

import io.llmswarm.cluster.Route;

import java.util.List;

/**
 * A run's part on one route, between its start (or a fail-over) and its end (or the next
 * fail-over): steps through a pipeline of Java shards ({@link PipelineLeg}) or a llama.cpp
 * replica's stream ({@link ReplicaLeg}). The run keeps what outlives a route: the tokens, the
 * text, the outcome and the fail-overs.
 */
sealed interface Leg permits PipelineLeg, ReplicaLeg {

    Route route();

    /** The time each hop of the route spent on this leg's steps. */
    List<ShardTiming> timings();

    /** Stops what still runs on the route (a step in flight is superseded, a stream stopped). */
    void stop();
}
