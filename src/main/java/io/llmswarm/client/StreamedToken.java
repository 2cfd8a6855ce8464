package io.llmswarm.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * One token as the node streams it: its index in the answer, its id, the text it adds (empty while
 * a UTF-8 character is still incomplete), its log-probability and, when the request asked for
 * {@code top_logprobs}, the likeliest tokens at that step.
 */
public record StreamedToken(int index, int id, String text, double logprob, List<Alternative> topLogprobs) {

    /** A token the model weighed at this step: its id, its text as it would print, its log-probability. */
    public record Alternative(int id, String text, double logprob) {
    }

    static StreamedToken fromJson(JsonObject json) {
        List<Alternative> top = new ArrayList<>();
        JsonArray alternatives = json.getJsonArray("top_logprobs", new JsonArray());
        for (int i = 0; i < alternatives.size(); i++) {
            JsonObject alternative = alternatives.getJsonObject(i);
            top.add(new Alternative(alternative.getInteger("id"), alternative.getString("text", ""),
                    number(alternative, "logprob")));
        }
        return new StreamedToken(json.getInteger("index"), json.getInteger("id"), json.getString("text", ""),
                number(json, "logprob"), List.copyOf(top));
    }

    private static double number(JsonObject json, String key) {
        Number value = json.getNumber(key);
        return value == null ? Double.NaN : value.doubleValue();
    }
}
