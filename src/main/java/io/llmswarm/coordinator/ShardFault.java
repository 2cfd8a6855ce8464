package io.llmswarm.coordinator;

import io.llmswarm.cluster.Route;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/** A step that gave no usable result, with the kind of fault and a message naming the shard. */
final class ShardFault extends RuntimeException {

    private final FaultCounters.Kind kind;

    ShardFault(FaultCounters.Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    FaultCounters.Kind kind() {
        return kind;
    }

    /** Classifies why a step to {@code hop} failed: its own fault, a deadline, an open breaker, the event bus. */
    static ShardFault of(Throwable cause, Route.Hop hop) {
        if (cause instanceof ShardFault fault) {
            return fault;
        }
        String shard = "shard " + hop.nodeId() + " (layers " + hop.span() + ")";
        if (cause instanceof OpenCircuitException) {
            return new ShardFault(FaultCounters.Kind.CIRCUIT_OPEN, shard + " is avoided after repeated faults");
        }
        if (cause instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT) {
            return new ShardFault(FaultCounters.Kind.TIMEOUT, shard + " did not answer in time: " + reply.getMessage());
        }
        return new ShardFault(FaultCounters.Kind.ERROR, shard + " did not answer: " + cause.getMessage());
    }
}
