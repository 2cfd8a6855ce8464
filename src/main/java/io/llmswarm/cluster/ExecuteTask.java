package io.llmswarm.cluster;

/** A coordinator's request that a shard run one step of a session through its layers. */
public record ExecuteTask(Envelope envelope, TaskParams params, TaskInput input) {
}
