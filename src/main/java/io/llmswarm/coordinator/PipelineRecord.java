package io.llmswarm.coordinator;

import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A request's pipeline state as the swarm sees it: status, the shard at work (InProgress), the
 * reason (Failed), tokens so far, and per-shard latencies in milliseconds.
 */
public record PipelineRecord(String requestId, PipelineStatus status, String currentShard, String reason,
                             int tokensGenerated, List<ShardTiming> shards) {

    public JsonObject toJson() {
        JsonObject latencies = new JsonObject();
        for (ShardTiming t : shards) {
            latencies.put(t.nodeId() + "[" + t.layers() + "]", new JsonObject()
                    .put("steps", t.steps())
                    .put("total_ms", t.roundTripNanos() / 1e6)
                    .put("engine_ms", t.engineNanos() / 1e6));
        }
        JsonObject json = new JsonObject().put("request_id", requestId).put("status", status.name())
                .put("tokens_generated", tokensGenerated).put("shard_latencies", latencies);
        if (currentShard != null) {
            json.put("current_shard", currentShard);
        }
        if (reason != null) {
            json.put("reason", reason);
        }
        return json;
    }
}
