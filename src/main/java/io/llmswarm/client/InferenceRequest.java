package io.llmswarm.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * What to ask the swarm: the prompt and the sampling settings of {@code POST /api/inference}. A
 * null setting leaves the node's default (greedy, 128 tokens); {@code topLogprobs} 0 asks for no
 * alternatives. Control-token text in the prompt, such as {@code </s>}, becomes the control token
 * on the node.
 */
public record InferenceRequest(String prompt, Integer maxTokens, Double temperature, Double topP, Integer topK,
                               Long seed, List<String> stop, boolean ignoreEos, int topLogprobs) {

    public InferenceRequest {
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("a request needs a non-empty prompt");
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (topLogprobs < 0) {
            throw new IllegalArgumentException("topLogprobs must be >= 0 (0 asks for none); got " + topLogprobs);
        }
    }

    /** The prompt with the node's defaults for everything else. */
    public static InferenceRequest of(String prompt) {
        return new InferenceRequest(prompt, null, null, null, null, null, List.of(), false, 0);
    }

    public InferenceRequest withMaxTokens(int value) {
        return new InferenceRequest(prompt, value, temperature, topP, topK, seed, stop, ignoreEos, topLogprobs);
    }

    public InferenceRequest withTemperature(double value) {
        return new InferenceRequest(prompt, maxTokens, value, topP, topK, seed, stop, ignoreEos, topLogprobs);
    }

    public InferenceRequest withTopP(double value) {
        return new InferenceRequest(prompt, maxTokens, temperature, value, topK, seed, stop, ignoreEos, topLogprobs);
    }

    public InferenceRequest withTopK(int value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, value, seed, stop, ignoreEos, topLogprobs);
    }

    public InferenceRequest withSeed(long value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, topK, value, stop, ignoreEos, topLogprobs);
    }

    public InferenceRequest withStop(List<String> value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, topK, seed, value, ignoreEos, topLogprobs);
    }

    public InferenceRequest withIgnoreEos(boolean value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, topK, seed, stop, value, topLogprobs);
    }

    /** Asks for the {@code value} likeliest tokens at each step of a stream ({@link StreamedToken#topLogprobs()}). */
    public InferenceRequest withTopLogprobs(int value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, topK, seed, stop, ignoreEos, value);
    }

    /** The body of {@code POST /api/inference}. */
    JsonObject toJson(boolean stream) {
        JsonObject json = new JsonObject().put("prompt", prompt);
        putIfSet(json, "max_tokens", maxTokens);
        putIfSet(json, "temperature", temperature);
        putIfSet(json, "top_p", topP);
        putIfSet(json, "top_k", topK);
        putIfSet(json, "seed", seed);
        if (!stop.isEmpty()) {
            json.put("stop", new JsonArray(stop));
        }
        if (ignoreEos) {
            json.put("ignore_eos", true);
        }
        if (topLogprobs > 0) {
            json.put("top_logprobs", topLogprobs);
        }
        return json.put("stream", stream);
    }

    private static void putIfSet(JsonObject json, String key, Object value) {
        if (value != null) {
            json.put(key, value);
        }
    }
}
