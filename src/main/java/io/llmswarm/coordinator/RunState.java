package io.llmswarm.coordinator;

/**
 * The life of one {@link PipelineRun}: {@code PLANNING} (readiness, the prompt's tokens, the route),
 * then {@code RUNNING} (steps through a pipeline, or a replica's stream), {@code MOVING} after a
 * fault (the back-off, then a new route; {@code RUNNING} again) and finally {@code ENDED} (finished,
 * failed or cancelled). Illegal moves throw, so a callback that comes late (a result after the end,
 * a fault while the run already moves) cannot start anything again.
 */
enum RunState {
    PLANNING, RUNNING, MOVING, ENDED;

    boolean canMoveTo(RunState next) {
        return switch (this) {
            case PLANNING -> next == RUNNING || next == ENDED;
            case RUNNING -> next == MOVING || next == ENDED;
            case MOVING -> next == RUNNING || next == ENDED;
            case ENDED -> false;
        };
    }

    RunState moveTo(RunState next) {
        if (!canMoveTo(next)) {
            throw new IllegalStateException("a run cannot go from " + this + " to " + next);
        }
        return next;
    }
}
