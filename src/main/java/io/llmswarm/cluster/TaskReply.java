package io.llmswarm.cluster;

/**
 * A shard's answer to an EXECUTE_TASK: status {@code ok} with a result, or {@code error} with a
 * message; {@code engineNanos} is the time the step spent in the engine, so the coordinator can
 * tell what a hop costs outside it.
 */
public record TaskReply(Envelope envelope, String error, TaskResult result, long engineNanos) {

    public static TaskReply ok(Envelope envelope, TaskResult result, long engineNanos) {
        return new TaskReply(envelope, null, result, engineNanos);
    }

    public static TaskReply failed(Envelope envelope, String error) {
        return new TaskReply(envelope, error, null, 0);
    }

    public boolean isOk() {
        return error == null;
    }

    public String status() {
        return isOk() ? "ok" : "error";
    }
}
