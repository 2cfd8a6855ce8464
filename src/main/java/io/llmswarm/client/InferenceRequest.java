package io.llmswarm.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * What to ask the swarm: the prompt and the sampling settings of {@code POST /api/inference}. A
 * null setting leaves the node's default (greedy, 128 tokens, a fresh random seed); {@code topLogprobs}
 * 0 asks for no alternatives. The node puts the prompt, after the optional {@code system} message, into
 * the model's chat template, unless {@code raw}: then it goes to the model as it is, and control-token
 * text in it, such as {@code </s>}, becomes the control token.
 */
public record InferenceRequest(String prompt, Integer maxTokens, Double temperature, Double topP, Integer topK,
                               Long seed, List<String> stop, boolean ignoreEos, int topLogprobs,
                               boolean raw, String system) {

    public InferenceRequest {
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("a request needs a non-empty prompt");
        }
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (raw && system != null) {
            throw new IllegalArgumentException("a raw prompt goes to the model as it is: it cannot have a system message");
        }
        if (topLogprobs < 0) {
            throw new IllegalArgumentException("topLogprobs must be >= 0 (0 asks for none); got " + topLogprobs);
        }
    }

    /** The prompt with the node's defaults for everything else. */
    public static InferenceRequest of(String prompt) {
        return new InferenceRequest(prompt, null, null, null, null, null, List.of(), false, 0, false, null);
    }

    public InferenceRequest withMaxTokens(int value) {
        return new InferenceRequest(prompt, value, temperature, topP, topK, seed, stop, ignoreEos, topLogprobs, raw, system);
    }

    public InferenceRequest withTemperature(double value) {
        return new InferenceRequest(prompt, maxTokens, value, topP, topK, seed, stop, ignoreEos, topLogprobs, raw, system);
    }

    public InferenceRequest withTopP(double value) {
        return new InferenceRequest(prompt, maxTokens, temperature, value, topK, seed, stop, ignoreEos, topLogprobs, raw, system);
    }

    public InferenceRequest withTopK(int value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, value, seed, stop, ignoreEos, topLogprobs, raw, system);
    }

    public InferenceRequest withSeed(long value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, topK, value, stop, ignoreEos, topLogprobs, raw, system);
    }

    public InferenceRequest withStop(List<String> value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, topK, seed, value, ignoreEos, topLogprobs, raw, system);
    }

    public InferenceRequest withIgnoreEos(boolean value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, topK, seed, stop, value, topLogprobs, raw, system);
    }

    /** Asks for the {@code value} likeliest tokens at each step of a stream ({@link StreamedToken#topLogprobs()}). */
    public InferenceRequest withTopLogprobs(int value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, topK, seed, stop, ignoreEos, value, raw, system);
    }

    /** Sends the prompt to the model as it is, without the model's chat template ({@code "raw": true}). */
    public InferenceRequest withRaw(boolean value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, topK, seed, stop, ignoreEos, topLogprobs, value, system);
    }

    /** A system message put before the prompt in the model's chat template. */
    public InferenceRequest withSystem(String value) {
        return new InferenceRequest(prompt, maxTokens, temperature, topP, topK, seed, stop, ignoreEos, topLogprobs, raw, value);
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
        if (raw) {
            json.put("raw", true);
        }
        putIfSet(json, "system", system);
        return json.put("stream", stream);
    }

    private static void putIfSet(JsonObject json, String key, Object value) {
        if (value != null) {
            json.put(key, value);
        }
    }
}
