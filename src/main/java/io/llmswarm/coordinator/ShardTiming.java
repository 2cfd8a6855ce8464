package io.llmswarm.coordinator;

import io.llmswarm.engine.LayerRange;

/**
 * What one hop of a route cost over a request: steps sent, total round-trip time seen by the
 * coordinator, and the part of it the shard spent in its engine; the rest is serialization,
 * event bus and scheduling.
 */
public record ShardTiming(String nodeId, LayerRange layers, int steps, long roundTripNanos, long engineNanos) {

    ShardTiming add(long roundTrip, long engine) {
        return new ShardTiming(nodeId, layers, steps + 1, roundTripNanos + roundTrip, engineNanos + engine);
    }

    /** Mean time per step outside the engine, in microseconds. */
    public double overheadMicrosPerStep() {
        return steps == 0 ? 0 : (roundTripNanos - engineNanos) / 1e3 / steps;
    }
}
