package io.llmswarm.cluster;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The replica's answer to a {@link ReplicaRequest} or to the coordinator's "next": the text pieces
 * generated since the last batch, one per token (llama.cpp gives text, not token ids; a piece is
 * empty while a UTF-8 character is unfinished or for a control token), whether the generation
 * has ended, and why it failed if it did. An empty batch that has not ended is a heartbeat: the
 * replica answers at least once a second, so a coordinator notices a dead replica quickly.
 * The coordinator answers each batch that has not ended with {@link #next()} or {@link #cancel()},
 * and the replica sends the next batch as the reply to that, so at most one batch is in flight.
 */
public record ReplicaBatch(List<String> pieces, boolean done, String error) {

    public ReplicaBatch {
        pieces = List.copyOf(pieces);
    }

    public JsonObject toJson() {
        JsonObject json = new JsonObject().put("pieces", new JsonArray(new ArrayList<Object>(pieces))).put("done", done);
        return error == null ? json : json.put("error", error);
    }

    public static ReplicaBatch fromJson(JsonObject json) {
        List<String> pieces = new ArrayList<>();
        JsonArray array = json.getJsonArray("pieces", new JsonArray());
        for (int i = 0; i < array.size(); i++) {
            pieces.add(array.getString(i));
        }
        return new ReplicaBatch(pieces, json.getBoolean("done", false), json.getString("error"));
    }

    /** The coordinator wants the next batch. */
    public static JsonObject next() {
        return new JsonObject().put("cancel", false);
    }

    /** The coordinator wants no more: the replica stops generating. */
    public static JsonObject cancel() {
        return new JsonObject().put("cancel", true);
    }

    public static boolean isCancel(JsonObject answer) {
        return answer != null && answer.getBoolean("cancel", false);
    }
}
