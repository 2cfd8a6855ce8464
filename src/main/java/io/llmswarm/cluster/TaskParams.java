package io.llmswarm.cluster;

import io.llmswarm.engine.LayerRange;

/**
 * The {@code params} of an EXECUTE_TASK: which session, which shard and layers, the position of
 * the first token of this step, whether this shard is the last of the route (it then samples),
 * and how hidden states are encoded in the body, in both directions.
 */
public record TaskParams(String sessionId, String shardId, LayerRange layers, int firstPosition,
                         boolean finalShard, SamplingParams sampling, HiddenEncoding encoding) {

    public TaskParams {
        if (firstPosition < 0) {
            throw new IllegalArgumentException("a step's first position must be >= 0; got " + firstPosition);
        }
    }
}
