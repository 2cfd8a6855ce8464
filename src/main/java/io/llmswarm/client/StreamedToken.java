package io.llmswarm.client;

import io.vertx.core.json.JsonObject;

/**
 * One token as the node streams it: its index in the answer, its id, the text it adds (empty while
 * a UTF-8 character is still incomplete) and its log-probability.
 */
public record StreamedToken(int index, int id, String text, double logprob) {

    static StreamedToken fromJson(JsonObject json) {
        Number logprob = json.getNumber("logprob");
        return new StreamedToken(json.getInteger("index"), json.getInteger("id"), json.getString("text", ""),
                logprob == null ? Double.NaN : logprob.doubleValue());
    }
}
