package io.llmswarm.cluster;

/**
 * A shard's answer to an EXECUTE_TASK: status {@code ok} with a result, or {@code error} with a
 * message; {@code engineNanos} is the time the step spent in the engine, so the coordinator can
 * tell what a hop costs outside it. A relayed step's answer carries its {@link Relay}: the step
 * number, the hop it comes from, and every hop's times.
 */
public record TaskReply(Envelope envelope, String error, TaskResult result, long engineNanos, Relay relay) {

    /**
     * An error's prefix when a shard refuses the hidden states it was sent (wrong shape, NaN or
     * infinite values): the fault is the sending hop's, not this one's.
     */
    public static final String INVALID_INPUT_PREFIX = "invalid_input: ";

    /**
     * An error's prefix when a step asked to start after a cached prompt prefix that the shard no
     * longer holds (evicted, or the shard restarted): no fault, the coordinator sends the step again
     * from position 0.
     */
    public static final String PREFIX_LOST_PREFIX = "prefix_lost: ";

    public TaskReply(Envelope envelope, String error, TaskResult result, long engineNanos) {
        this(envelope, error, result, engineNanos, null);
    }

    public static TaskReply ok(Envelope envelope, TaskResult result, long engineNanos) {
        return new TaskReply(envelope, null, result, engineNanos);
    }

    public static TaskReply failed(Envelope envelope, String error) {
        return new TaskReply(envelope, error, null, 0);
    }

    /** This reply as the answer to a relayed step. */
    public TaskReply relayed(Relay value) {
        return new TaskReply(envelope, error, result, engineNanos, value);
    }

    public boolean isOk() {
        return error == null;
    }

    public String status() {
        return isOk() ? "ok" : "error";
    }
}
