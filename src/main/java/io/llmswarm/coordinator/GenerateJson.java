package io.llmswarm.coordinator;

import io.llmswarm.cluster.SamplingJson;
import io.llmswarm.cluster.SamplingParams;
import io.llmswarm.sampling.SamplingConfig;
import io.llmswarm.tokenizer.Tokenizer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The source documents' request and response as JSON: {@code {"prompt", "max_tokens",
 * "temperature", ...}} in; {@code request_id}, {@code result}, {@code tokens} and
 * {@code metadata} (total latency, per-shard latencies, tokens generated, tokens per second) out.
 */
public final class GenerateJson {

    private GenerateJson() {
    }

    /**
     * Reads a request; sampling keys absent mean greedy (temperature 0). Without a {@code seed} (or
     * with -1, llama.cpp's "random") a fresh one is drawn, as OpenAI and llama.cpp do, so that a
     * temperature above 0 does not repeat the same text; the response tells which seed was used.
     */
    public static GenerateRequest request(JsonObject json) {
        int maxTokens = json.getInteger("max_tokens", 128);
        SamplingConfig sampling = SamplingJson.fromJson(json, SamplingConfig.greedy());
        if (!json.containsKey("seed") || json.getValue("seed") == null || sampling.seed() == -1) {
            sampling = sampling.withSeed(freshSeed());
        }
        SamplingParams params = new SamplingParams(sampling, json.getBoolean("ignore_eos", false),
                json.getInteger("top_logprobs", 0));
        List<String> stops = new ArrayList<>();
        Object stop = json.getValue("stop");
        if (stop instanceof String s) {
            stops.add(s);
        } else if (stop instanceof JsonArray array) {
            array.forEach(s -> stops.add((String) s));
        }
        JsonArray tokenArray = json.getJsonArray("prompt_tokens");
        if (tokenArray != null) {
            int[] tokens = tokenArray.stream().mapToInt(t -> ((Number) t).intValue()).toArray();
            return new GenerateRequest(null, tokens, maxTokens, params, stops);
        }
        String prompt = json.getString("prompt");
        if (prompt == null) {
            throw new IllegalArgumentException("a request needs \"prompt\" (text) or \"prompt_tokens\" (ids)");
        }
        return new GenerateRequest(prompt, null, maxTokens, params, stops);
    }

    /** A random seed in llama.cpp's range (32 bits, unsigned). */
    public static long freshSeed() {
        return ThreadLocalRandom.current().nextLong(1L << 32);
    }

    /** One streamed token: index, id, text piece, log-probability and top alternatives when asked for. */
    public static JsonObject token(GeneratedToken token) {
        JsonObject json = new JsonObject().put("index", token.index()).put("id", token.id()).put("text", token.text());
        if (!Float.isNaN(token.logprob())) { // NaN: a llama.cpp replica's token, which comes without one
            json.put("logprob", token.logprob());
        }
        if (!token.topLogprobs().isEmpty()) {
            JsonArray top = new JsonArray();
            token.topLogprobs().forEach(t -> top.add(new JsonObject().put("id", t.token()).put("logprob", t.logprob())));
            json.put("top_logprobs", top);
        }
        return json;
    }

    /** As {@link #token(GeneratedToken)}, with each alternative's text as it would print ({@code "text"}). */
    public static JsonObject token(GeneratedToken token, Tokenizer tokenizer) {
        JsonObject json = token(token);
        JsonArray top = json.getJsonArray("top_logprobs");
        for (int i = 0; top != null && i < top.size(); i++) {
            JsonObject alternative = top.getJsonObject(i);
            alternative.put("text", tokenizer.tokenPiece(alternative.getInteger("id")));
        }
        return json;
    }

    public static JsonObject response(GenerationOutcome outcome) {
        JsonArray ids = new JsonArray();
        for (int id : outcome.tokenIds()) {
            if (id >= 0) { // a llama.cpp replica streams text without token ids (-1)
                ids.add(id);
            }
        }
        JsonObject shards = new JsonObject();
        for (ShardTiming t : outcome.timings().shards()) {
            shards.put(t.nodeId() + "[" + t.layers() + "]", new JsonObject().put("steps", t.steps())
                    .put("total_ms", t.roundTripNanos() / 1e6).put("engine_ms", t.engineNanos() / 1e6)
                    .put("overhead_us_per_step", t.overheadMicrosPerStep()));
        }
        double seconds = outcome.timings().totalNanos() / 1e9;
        JsonObject metadata = new JsonObject()
                .put("total_latency_ms", outcome.timings().totalNanos() / 1e6)
                .put("time_to_first_token_ms", outcome.timings().timeToFirstTokenNanos() / 1e6)
                .put("shard_latencies", shards)
                .put("tokens_generated", outcome.tokens().size())
                .put("tokens_per_second", seconds == 0 ? 0 : outcome.tokens().size() / seconds)
                .put("decode_tokens_per_second", outcome.decodeTokensPerSecond())
                .put("route", outcome.route())
                .put("prompt_tokens_reused", outcome.promptTokensReused());
        return new JsonObject().put("request_id", outcome.requestId()).put("result", outcome.text())
                .put("tokens", ids).put("prompt_tokens", outcome.promptTokens().length)
                .put("finish_reason", outcome.finishReason().apiName()).put("seed", outcome.seed())
                .put("metadata", metadata);
    }
}
