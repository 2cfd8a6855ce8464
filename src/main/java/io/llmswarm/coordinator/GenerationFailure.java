package io.llmswarm.coordinator;

import io.llmswarm.cluster.SwarmBusyException;
import io.llmswarm.cluster.SwarmNotReadyException;

/**
 * The one table from what stops a generation to what every entry point answers: HTTP
 * ({@code /api/inference}, {@code /v1}), the event-bus bridge and the coordinator's own event-bus
 * address each translate a {@code GenerationFailure} into their format, and none maps exceptions
 * itself. A bad request is 400; a swarm that cannot serve the model now (layers missing, every
 * route avoided) is 503 to retry after {@value #NOT_READY_RETRY_SECONDS} s; a shard without room
 * for another session is 503 to retry after {@value #BUSY_RETRY_SECONDS} s; anything else, a
 * failed generation, is 500.
 *
 * @param kind    which row of the table
 * @param message what the client is told
 */
public record GenerationFailure(Kind kind, String message) {

    /** Seconds a client is told to wait before asking a swarm that is not ready again. */
    public static final int NOT_READY_RETRY_SECONDS = 5;
    /** Seconds a client is told to wait when a shard (or the gateway) has no room for it now. */
    public static final int BUSY_RETRY_SECONDS = 1;
    /** For a field of the wrong type that no check named (never a Java cast message). */
    public static final String WRONG_TYPE = "a field of the request has the wrong type (see the API's fields in the README)";

    /** The rows: status, the OpenAI error type and code, and when to come back (0: no advice). */
    public enum Kind {
        INVALID_REQUEST(400, "invalid_request_error", null, 0),
        NOT_READY(503, "service_unavailable", "swarm_not_ready", NOT_READY_RETRY_SECONDS),
        BUSY(503, "service_unavailable", "overloaded", BUSY_RETRY_SECONDS),
        FAILED(500, "server_error", null, 0);

        private final int status;
        private final String openAiType;
        private final String openAiCode;
        private final int retryAfterSeconds;

        Kind(int status, String openAiType, String openAiCode, int retryAfterSeconds) {
            this.status = status;
            this.openAiType = openAiType;
            this.openAiCode = openAiCode;
            this.retryAfterSeconds = retryAfterSeconds;
        }
    }

    /** What stopped a generation (before it started, or while it ran), as the table says. */
    public static GenerationFailure of(Throwable cause) {
        return switch (cause) {
            case SwarmNotReadyException e -> new GenerationFailure(Kind.NOT_READY,
                    e.getMessage() == null ? "the swarm is not ready" : e.getMessage());
            case SwarmBusyException e -> new GenerationFailure(Kind.BUSY, e.getMessage());
            case IllegalArgumentException e -> new GenerationFailure(Kind.INVALID_REQUEST, e.getMessage());
            case ClassCastException e -> new GenerationFailure(Kind.INVALID_REQUEST, WRONG_TYPE);
            default -> new GenerationFailure(Kind.FAILED, "the generation failed: " + cause.getMessage());
        };
    }

    /** A request that could not be read: always the client's error, whatever was thrown. */
    public static GenerationFailure ofRequest(RuntimeException cause) {
        return new GenerationFailure(Kind.INVALID_REQUEST,
                cause instanceof ClassCastException ? WRONG_TYPE : cause.getMessage());
    }

    public int status() {
        return kind.status;
    }

    public String openAiType() {
        return kind.openAiType;
    }

    /** OpenAI's error code ({@code swarm_not_ready}, {@code overloaded}), or null. */
    public String openAiCode() {
        return kind.openAiCode;
    }

    /** Seconds after which the client may try again, or 0 when trying again will not help. */
    public int retryAfterSeconds() {
        return kind.retryAfterSeconds;
    }

    public boolean notReady() {
        return kind == Kind.NOT_READY;
    }
}
