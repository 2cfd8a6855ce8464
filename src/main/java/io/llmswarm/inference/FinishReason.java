package io.llmswarm.inference;

/** Why a generation ended; the names are those the APIs report. */
public enum FinishReason {
    /** The model produced an end-of-generation token. */
    STOP,
    /** max_tokens were generated. */
    LENGTH,
    /** A stop string appeared in the text. */
    STOP_STRING,
    /** The model's context has no room for another token. */
    CONTEXT_FULL,
    /** The caller cancelled. */
    CANCELLED;

    public String apiName() {
        return switch (this) {
            case STOP, STOP_STRING -> "stop";
            case LENGTH -> "length";
            case CONTEXT_FULL -> "context_full";
            case CANCELLED -> "cancelled";
        };
    }
}
