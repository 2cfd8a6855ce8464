package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;

/**
 * The {@code params} of an EXECUTE_TASK: which session, which shard and layers, the position of
 * the first token of this step, whether this shard is the last of the route (it then samples),
 * how hidden states are encoded in the body, in both directions, and, for a session replayed after
 * a fault, how many random draws its sampler had taken (the new last shard skips them).
 */
public record TaskParams(String sessionId, String shardId, LayerRange layers, int firstPosition,
                         boolean finalShard, SamplingParams sampling, HiddenEncoding encoding, long drawsBefore) {

    public TaskParams {
        if (firstPosition < 0) {
            throw new IllegalArgumentException("a step's first position must be >= 0; got " + firstPosition);
        }
        if (drawsBefore < 0) {
            throw new IllegalArgumentException("draws_before must be >= 0; got " + drawsBefore);
        }
    }

    /** A step whose session samples from the start of its seeded sequence. */
    public TaskParams(String sessionId, String shardId, LayerRange layers, int firstPosition, boolean finalShard,
                      SamplingParams sampling, HiddenEncoding encoding) {
        this(sessionId, shardId, layers, firstPosition, finalShard, sampling, encoding, 0);
    }

    /** The same step for another hop of the route. */
    public TaskParams forHop(String nodeId, LayerRange span, boolean last) {
        return new TaskParams(sessionId, nodeId, span, firstPosition, last, sampling, encoding, drawsBefore);
    }
}
