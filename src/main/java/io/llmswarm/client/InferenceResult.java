package io.llmswarm.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A finished answer of {@code POST /api/inference}: the request id, the text, the generated token
 * ids, how many tokens the prompt had, why generation ended ({@code stop}, {@code length},
 * {@code stop_string}, {@code context_full}), the node's timings, and the sampling seed used (null
 * from a node that does not say), which makes the same request give the same answer again.
 */
public record InferenceResult(String requestId, String text, int[] tokens, int promptTokens, String finishReason,
                              Metadata metadata, Long seed) {

    /**
     * The node's measurements: total latency, time to the first token, tokens per second (overall
     * and after the first token), the route as {@code node[layers] -> ...} and each hop's share.
     */
    public record Metadata(double totalLatencyMs, double timeToFirstTokenMs, int tokensGenerated,
                           double tokensPerSecond, double decodeTokensPerSecond, String route,
                           List<ShardLatency> shardLatencies) {
    }

    /** One hop of the route: the shard ({@code node[layers]}), its steps, round-trip and engine time. */
    public record ShardLatency(String shard, int steps, double totalMs, double engineMs) {
    }

    static InferenceResult fromJson(JsonObject json) {
        JsonArray ids = json.getJsonArray("tokens", new JsonArray());
        int[] tokens = new int[ids.size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = ids.getInteger(i);
        }
        JsonObject meta = json.getJsonObject("metadata", new JsonObject());
        List<ShardLatency> shards = new ArrayList<>();
        JsonObject latencies = meta.getJsonObject("shard_latencies", new JsonObject());
        for (String shard : latencies.fieldNames()) {
            JsonObject hop = latencies.getJsonObject(shard);
            shards.add(new ShardLatency(shard, hop.getInteger("steps", 0), number(hop, "total_ms"),
                    number(hop, "engine_ms")));
        }
        Metadata metadata = new Metadata(number(meta, "total_latency_ms"), number(meta, "time_to_first_token_ms"),
                meta.getInteger("tokens_generated", tokens.length), number(meta, "tokens_per_second"),
                number(meta, "decode_tokens_per_second"), meta.getString("route", ""), List.copyOf(shards));
        return new InferenceResult(json.getString("request_id"), json.getString("result", ""), tokens,
                json.getInteger("prompt_tokens", 0), json.getString("finish_reason", ""), metadata,
                json.getValue("seed") instanceof Number seed ? seed.longValue() : null);
    }

    private static double number(JsonObject json, String key) {
        Number value = json.getNumber(key);
        return value == null ? Double.NaN : value.doubleValue();
    }
}
