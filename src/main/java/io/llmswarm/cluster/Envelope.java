package io.llmswarm.cluster;

import io.vertx.core.json.JsonObject;

/**
 * The fields every swarm message carries, after the source documents' {@code EXECUTE_TASK}
 * envelope: what it is, which request it belongs to, who sent it to whom, and when.
 */
public record Envelope(String command, String requestId, String from, String to, long timestamp) {

    public static final String EXECUTE_TASK = "EXECUTE_TASK";
    public static final String TASK_RESULT = "TASK_RESULT";

    public static Envelope now(String command, String requestId, String from, String to) {
        return new Envelope(command, requestId, from, to, System.currentTimeMillis());
    }

    /** The envelope of the answer to this message. */
    public Envelope reply() {
        return now(TASK_RESULT, requestId, to, from);
    }

    void writeTo(JsonObject json) {
        json.put("command", command).put("request_id", requestId).put("from", from).put("to", to)
                .put("timestamp", timestamp);
    }

    static Envelope readFrom(JsonObject json) {
        return new Envelope(json.getString("command"), json.getString("request_id"), json.getString("from"),
                json.getString("to"), json.getLong("timestamp", 0L));
    }
}
