package io.llmswarm.cluster;

/** The swarm cannot serve a model: some layers have no loaded shard, or no route chains them. */
public final class SwarmNotReadyException extends RuntimeException {
    public SwarmNotReadyException(String message) {
        super(message);
    }
}
