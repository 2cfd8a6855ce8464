package io.llmswarm.gateway;

import io.llmswarm.coordinator.GenerationFailure;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Checks the types of the documented request fields before they are read, so a wrong type is
 * refused with the field's name instead of a cast error, and bounds {@code max_tokens} to
 * 1..context length. Value ranges of the sampling settings are checked where they are built.
 */
final class RequestCheck {

    private static final String[] INTEGERS = {"max_tokens", "top_k", "repeat_last_n", "seed", "top_logprobs"};
    private static final String[] NUMBERS = {"temperature", "top_p", "min_p", "repeat_penalty"};
    private static final String[] BOOLEANS = {"ignore_eos", "stream"};

    /** For a wrong type that no check named (never a Java cast message). */
    static final String WRONG_TYPE = GenerationFailure.WRONG_TYPE;

    private RequestCheck() {
    }

    /** Throws IllegalArgumentException naming the first bad field. */
    static void check(JsonObject json, int contextLength) {
        for (String key : INTEGERS) {
            Object value = json.getValue(key);
            if (value != null && !(value instanceof Integer || value instanceof Long)) {
                throw bad(key, "an integer", value);
            }
            // Only a seed may need 64 bits; a larger count would be cut to a wrong 32-bit one.
            if (value instanceof Long && !key.equals("seed")) {
                throw bad(key, "an integer within " + Integer.MIN_VALUE + ".." + Integer.MAX_VALUE, value);
            }
        }
        for (String key : NUMBERS) {
            Object value = json.getValue(key);
            if (value != null && !(value instanceof Number)) {
                throw bad(key, "a number", value);
            }
        }
        for (String key : BOOLEANS) {
            Object value = json.getValue(key);
            if (value != null && !(value instanceof Boolean)) {
                throw bad(key, "true or false", value);
            }
        }
        Object prompt = json.getValue("prompt");
        if (prompt != null && !(prompt instanceof String)) {
            throw bad("prompt", "a string", prompt);
        }
        if (prompt instanceof String text && text.isEmpty()) {
            throw new IllegalArgumentException("\"prompt\" is empty: it needs some text");
        }
        Object tokens = json.getValue("prompt_tokens");
        if (tokens != null && !(tokens instanceof JsonArray array && !array.isEmpty()
                && array.stream().allMatch(t -> t instanceof Integer))) {
            throw bad("prompt_tokens", "a non-empty array of token ids", tokens);
        }
        Object stop = json.getValue("stop");
        if (stop != null && !(stop instanceof String) && !(stop instanceof JsonArray array
                && array.stream().allMatch(s -> s instanceof String))) {
            throw bad("stop", "a string or an array of strings", stop);
        }
        Object maxTokens = json.getValue("max_tokens");
        if (maxTokens instanceof Number n && (n.longValue() < 1 || n.longValue() > contextLength)) {
            throw new IllegalArgumentException("\"max_tokens\" must be between 1 and the context length "
                    + contextLength + "; got " + n);
        }
    }

    private static IllegalArgumentException bad(String key, String expected, Object found) {
        return new IllegalArgumentException("\"" + key + "\" must be " + expected + "; got " + Json.encode(found));
    }
}
