package io.llmswarm.coordinator;


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
}
