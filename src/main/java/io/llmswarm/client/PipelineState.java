package io.llmswarm.client;

import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A request's pipeline state as the swarm keeps it ({@code GET /api/requests/{id}}): status
 * ({@code PENDING}, {@code IN_PROGRESS}, {@code COMPLETED} or {@code FAILED}),
 * tokens so far, and each hop of its route with its latency, in route order.
 */
public record PipelineState(String requestId, String status, int tokensGenerated,
                            List<InferenceResult.ShardLatency> shards) {

    /** Completed (a cancelled request included) or failed: nothing about it will change any more. */
    public boolean isFinal() {
        return status.equals("COMPLETED") || status.equals("FAILED");
    }

    static PipelineState fromJson(JsonObject json) {
        List<InferenceResult.ShardLatency> shards = new ArrayList<>();
        JsonObject latencies = json.getJsonObject("shard_latencies", new JsonObject());
        for (String shard : latencies.fieldNames()) {
            JsonObject hop = latencies.getJsonObject(shard);
            shards.add(new InferenceResult.ShardLatency(shard, hop.getInteger("steps", 0),
                    hop.getDouble("total_ms", Double.NaN), hop.getDouble("engine_ms", Double.NaN)));
        }
        return new PipelineState(json.getString("request_id"), json.getString("status", ""),
                json.getInteger("tokens_generated", 0), List.copyOf(shards));
    }
}
