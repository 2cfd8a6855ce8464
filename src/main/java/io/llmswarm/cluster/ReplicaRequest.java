package io.llmswarm.cluster;

import io.llmswarm.sampling.SamplingConfig;
import io.vertx.core.json.JsonObject;

/**
 * What a coordinator asks of a whole-model replica: generate after {@code prompt} (text, which
 * llama.cpp tokenizes itself, adding BOS where the model wants it) at most {@code maxTokens}
 * tokens with these sampling settings, as session {@code sessionId} (the id a later
 * {@link SessionRelease} cancels). Sent as JSON; the replica answers with {@link ReplicaBatch}es.
 */
public record ReplicaRequest(String sessionId, String prompt, int maxTokens, SamplingConfig sampling,
                             boolean ignoreEos) {

    public ReplicaRequest {
        if (sessionId == null || sessionId.isBlank()) {
            throw new IllegalArgumentException("a replica request needs \"session_id\"");
        }
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("a replica request needs a non-empty \"prompt\"");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("\"max_tokens\" must be at least 1; got " + maxTokens);
        }
    }

    public JsonObject toJson() {
        return SamplingJson.toJson(sampling).put("session_id", sessionId).put("prompt", prompt)
                .put("max_tokens", maxTokens).put("ignore_eos", ignoreEos);
    }

    public static ReplicaRequest fromJson(JsonObject json) {
        try {
            return new ReplicaRequest(json.getString("session_id"), json.getString("prompt"),
                    json.getInteger("max_tokens", 0), SamplingJson.fromJson(json, SamplingConfig.greedy()),
                    json.getBoolean("ignore_eos", false));
        } catch (ClassCastException e) {
            throw new IllegalArgumentException("a replica request has a field of the wrong type: " + e.getMessage(), e);
        }
    }
}
