package io.llmswarm.coordinator;

/**
 * The life of a request in the pipeline: Pending, then InProgress (naming the shard at work),
 * then Completed or Failed. Illegal moves throw, so a bug cannot report a finished request as
 * running again.
 */
public enum PipelineStatus {
    PENDING, IN_PROGRESS, COMPLETED, FAILED;

    public boolean canMoveTo(PipelineStatus next) {
        return switch (this) {
            case PENDING -> next != PENDING;
            case IN_PROGRESS -> next != PENDING;
            case COMPLETED, FAILED -> false;
        };
    }

    public PipelineStatus moveTo(PipelineStatus next) {
        if (!canMoveTo(next)) {
            throw new IllegalStateException("a pipeline cannot go from " + this + " to " + next);
        }
        return next;
    }
}
