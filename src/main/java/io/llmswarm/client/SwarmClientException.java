package io.llmswarm.client;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

/**
 * A request the node refused or could not finish: an HTTP error status (400 for a bad field, 503
 * while the swarm lacks layers, ...) or an {@code error} event in a stream, with the node's own
 * message. {@link #status()} is 0 when the failure did not come with an HTTP status.
 */
public final class SwarmClientException extends RuntimeException {

    private final int status;

    public SwarmClientException(int status, String message) {
        super(message);
        this.status = status;
    }

    public SwarmClientException(String message, Throwable cause) {
        super(message, cause);
        this.status = 0;
    }

    public int status() {
        return status;
    }

    /** The node's message from an error body: {@code {"error": "..."}} or OpenAI's {@code {"error": {"message"}}}. */
    static SwarmClientException fromBody(int status, String body) {
        String message = errorMessage(body);
        return new SwarmClientException(status, "the node answered " + status + ": "
                + (message != null ? message : body.isBlank() ? "(no body)" : body.strip()));
    }

    static String errorMessage(String body) {
        try {
            JsonObject json = new JsonObject(body);
            Object error = json.getValue("error");
            if (error instanceof JsonObject object && object.getValue("message") instanceof String message) {
                return message;
            }
            return error instanceof String message ? message : null;
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
    }
}
