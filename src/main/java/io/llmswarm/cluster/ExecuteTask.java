package io.llmswarm.cluster;

/**
 * A coordinator's request that a shard run one step of a session through its layers. With a
 * {@link Relay} the shard sends its hidden states on to the next hop itself and the route's last
 * shard sends the result to the coordinator; without one it answers the sender.
 */
public record ExecuteTask(Envelope envelope, TaskParams params, TaskInput input, Relay relay) {

    /** A step answered to its sender. */
    public ExecuteTask(Envelope envelope, TaskParams params, TaskInput input) {
        this(envelope, params, input, null);
    }
}
